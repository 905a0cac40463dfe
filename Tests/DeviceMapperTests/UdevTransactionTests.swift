import DMTable
@testable import DeviceMapper
import Synchronization
import Testing
@testable import Activation

/// A kernel that records how each device was created: with which udev
/// visibility and in which udev transaction, and how often udev was waited for.
final class RecordingKernel: DeviceMapperControl {
    let inner = FakeKernel()
    struct Call: Equatable { var name: String; var visibility: UdevVisibility; var transaction: ObjectIdentifier? }
    let calls = Mutex<[Call]>([])
    let finished = Mutex<[ObjectIdentifier]>([])
    let finishFails = Mutex(false)

    func create(_ device: DMDevice, readOnly: Bool) throws(DeviceMapperError) {
        try create(device, readOnly: readOnly, visibility: .visible, transaction: nil)
    }
    func create(_ device: DMDevice, readOnly: Bool, visibility: UdevVisibility,
                transaction: UdevTransaction?) throws(DeviceMapperError) {
        calls.withLock { $0.append(Call(name: device.name, visibility: visibility, transaction: transaction.map(ObjectIdentifier.init))) }
        try inner.create(device, readOnly: readOnly)
    }
    func finish(_ transaction: UdevTransaction) throws(DeviceMapperError) {
        finished.withLock { $0.append(ObjectIdentifier(transaction)) }
        if finishFails.withLock({ $0 }) { throw .udevTimeout(device: "ldm_vol", step: .resume, seconds: 30) }
    }
    func reload(_ device: DMDevice, readOnly: Bool) throws(DeviceMapperError) { try inner.reload(device, readOnly: readOnly) }
    func remove(name: String) throws(DeviceMapperError) { try inner.remove(name: name) }
    func list() throws(DeviceMapperError) -> [DMDeviceInfo] { try inner.list() }
    func info(name: String) throws(DeviceMapperError) -> DMDeviceInfo? { try inner.info(name: name) }
    func table(name: String) throws(DeviceMapperError) -> [DMTarget] { try inner.table(name: name) }
    func status(name: String) throws(DeviceMapperError) -> [DMTargetStatus] { try inner.status(name: name) }
    func dependencies(name: String) throws(DeviceMapperError) -> [DeviceNumber] { try inner.dependencies(name: name) }
    func holders(of device: DeviceNumber) throws(DeviceMapperError) -> [String] { try inner.holders(of: device) }
    func canonicalParams(_ params: String) -> String { inner.canonicalParams(params) }
}

@Suite struct UdevTransactionTests {
    /// Mirror legs and RAID-5 members are private to udev (lvm2's flags);
    /// only the volume is visible. Every device of one activate shares one
    /// transaction, and udev is waited for once.
    @Test func helpersArePrivateAndOneWaitPerActivation() {
        let kernel = RecordingKernel()
        let results = Activator(deviceMapper: kernel, lockPath: nil).activate(stacks: [mirrorStack(), mirrorStack("2")])
        #expect(results.map(\.state) == [.activated, .activated])
        let calls = kernel.calls.withLock { $0 }
        #expect(calls.map(\.name) == ["ldm_part_a", "ldm_part_b", "ldm_vol", "ldm_part_a2", "ldm_part_b2", "ldm_vol2"])
        #expect(calls.map(\.visibility) == [.private, .private, .visible, .private, .private, .visible])
        let transactions = Set(calls.compactMap(\.transaction))
        #expect(transactions.count == 1 && calls.allSatisfy { $0.transaction != nil })
        #expect(kernel.finished.withLock { $0 } == Array(transactions))
    }

    /// udev not confirming in time undoes the run, as one device's timeout did.
    @Test func udevTimeoutRollsBack() {
        let kernel = RecordingKernel()
        kernel.finishFails.withLock { $0 = true }
        let results = Activator(deviceMapper: kernel, lockPath: nil).activate(stacks: [mirrorStack()])
        #expect(results.map(\.state) == [.failed])
        #expect(kernel.inner.names.isEmpty)
    }

    @Test func cookieFlagsAreLvmPrivateLayerFlags() {
        #expect(UdevVisibility.visible.cookieFlags == 0)
        // SUBSYSTEM (0x02) | DISK (0x04) | OTHER (0x08) rules disabled.
        #expect(UdevVisibility.private.cookieFlags == 0x0E)
    }

    /// Later tables name the transaction's devices by number, so nothing
    /// waits for udev to make their /dev/mapper nodes.
    @Test func transactionResolvesItsOwnDevices() {
        let t = UdevTransaction()
        #expect(t.resolve("raid1 2 0 nosync 2 - /dev/mapper/ldm_part_a - /dev/mapper/x") == "raid1 2 0 nosync 2 - /dev/mapper/ldm_part_a - /dev/mapper/x")
        t.created["/dev/mapper/ldm_part_a"] = DeviceNumber(major: 254, minor: 7)
        #expect(t.resolve("raid1 2 0 nosync 2 - /dev/mapper/ldm_part_a - /dev/mapper/x") == "raid1 2 0 nosync 2 - 254:7 - /dev/mapper/x")
    }
}
