import DMTable
import DeviceMapper
import Synchronization
import Testing
@testable import Activation

/// An in-memory device-mapper: devices with tables; dependencies read from
/// `major:minor` tokens of the tables; holders and open counts follow.
final class FakeKernel: DeviceMapperControl {
    struct Device {
        var info: DMDeviceInfo
        var table: [DMTarget]
    }
    struct State {
        var devices: [String: Device] = [:]
        var nextMinor: UInt32 = 0
        var log: [String] = []
        /// Device name -> failure its create throws.
        var failCreate: [String: DMFailure] = [:]
        /// Extra opens (mounts) per device name.
        var extraOpens: [String: Int] = [:]
        /// Set: device-mapper is unusable (no kernel driver, no library).
        var listFailure: DeviceMapperError?
    }
    let state = Mutex(State())

    func create(_ device: DMDevice, readOnly: Bool) throws(DeviceMapperError) {
        let result: Result<Void, DeviceMapperError> = state.withLock { s in
            if let failure = s.failCreate[device.name] { return .failure(.failed(failure)) }
            if s.devices[device.name] != nil {
                return .failure(.failed(DMFailure(step: .create, device: device.name, errno: 17)))
            }
            let info = DMDeviceInfo(name: device.name, uuid: device.uuid,
                                    number: DeviceNumber(major: 254, minor: s.nextMinor), readOnly: readOnly)
            s.nextMinor += 1
            s.devices[device.name] = Device(info: info, table: device.targets)
            s.log.append("create \(device.name)")
            return .success(())
        }
        try result.get()
    }

    func reload(_ device: DMDevice, readOnly: Bool) throws(DeviceMapperError) {
        state.withLock { s in
            s.devices[device.name]?.table = device.targets
            s.log.append("reload \(device.name) \(device.targets.map { "\($0.start)+\($0.length) \($0.type)" }.joined(separator: ","))")
        }
    }

    func remove(name: String) throws(DeviceMapperError) {
        let found = state.withLock { s in
            s.log.append("remove \(name)")
            return s.devices.removeValue(forKey: name) != nil
        }
        if !found { throw .notFound(device: name, step: .remove) }
    }

    private func deps(_ table: [DMTarget]) -> [DeviceNumber] {
        Array(Set(table.flatMap { $0.params.split(separator: " ").compactMap { DeviceNumber($0) } })).sorted()
    }

    private func snapshot(_ s: State, _ name: String) -> DMDeviceInfo? {
        guard var info = s.devices[name]?.info else { return nil }
        let users = s.devices.values.filter { deps($0.table).contains(info.number) }.count
        info.openCount = users + s.extraOpens[name, default: 0]
        return info
    }

    func list() throws(DeviceMapperError) -> [DMDeviceInfo] {
        if let failure = state.withLock({ $0.listFailure }) { throw failure }
        return state.withLock { s in s.devices.keys.sorted().compactMap { snapshot(s, $0) } }
    }

    func info(name: String) throws(DeviceMapperError) -> DMDeviceInfo? {
        state.withLock { s in snapshot(s, name) }
    }

    func table(name: String) throws(DeviceMapperError) -> [DMTarget] {
        guard let t = state.withLock({ $0.devices[name]?.table }) else { throw .notFound(device: name, step: .table) }
        return t
    }

    func status(name: String) throws(DeviceMapperError) -> [DMTargetStatus] {
        try table(name: name).map {
            DMTargetStatus(start: $0.start, length: $0.length, type: $0.type,
                           status: $0.type == "raid" ? "raid1 2 AD 10/10 idle 0 0 -" : "")
        }
    }

    func dependencies(name: String) throws(DeviceMapperError) -> [DeviceNumber] {
        deps(try table(name: name))
    }

    func holders(of device: DeviceNumber) throws(DeviceMapperError) -> [String] {
        state.withLock { s in
            s.devices.values.filter { deps($0.table).contains(device) }.map(\.info.kernelName).sorted()
        }
    }

    func canonicalParams(_ params: String) -> String {
        params.split(separator: " ").joined(separator: " ")
    }

    var log: [String] { state.withLock { $0.log } }
    var names: [String] { state.withLock { $0.devices.keys.sorted() } }
}

/// A mirrored volume: two helpers on disks 8:16 and 8:32, and a raid1 on
/// them. The fake numbers devices 254:0, 254:1, ... in creation order.
func mirrorStack(_ suffix: String = "") -> VolumeStack {
    VolumeStack(groupName: "WinDg", volumeName: "Volume1\(suffix)", devices: [
        DMDevice(name: "ldm_part_a\(suffix)", uuid: "LDM-part-a\(suffix)",
                 targets: [DMTarget(start: 0, length: 100, type: "linear", params: "8:16 63")]),
        DMDevice(name: "ldm_part_b\(suffix)", uuid: "LDM-part-b\(suffix)",
                 targets: [DMTarget(start: 0, length: 100, type: "linear", params: "8:32 63")]),
        DMDevice(name: "ldm_vol\(suffix)", uuid: "LDM-vol\(suffix)",
                 targets: [DMTarget(start: 0, length: 100, type: "raid",
                                    params: "raid1 1 nosync 2 - 254:0 - 254:1")]),
    ])
}

@Suite struct ActivatorTests {
    @Test func activatesInOrderThenAlreadyActive() {
        let kernel = FakeKernel()
        let activator = Activator(deviceMapper: kernel, lockPath: nil)
        let first = activator.activate(stacks: [mirrorStack()])
        #expect(first.map(\.state) == [.activated])
        #expect(first[0].created == ["ldm_part_a", "ldm_part_b", "ldm_vol"])
        #expect(kernel.log == ["create ldm_part_a", "create ldm_part_b", "create ldm_vol"])
        let second = activator.activate(stacks: [mirrorStack()])
        #expect(second.map(\.state) == [.alreadyActive])
        #expect(kernel.log.count == 3)
    }

    /// A busy volume whose disks are gone: its table becomes one `error`
    /// target of its size, its helpers go, and it is removed (deferred, in
    /// the kernel) — what `ldmctl udev remove` does, now in the Activator.
    @Test func retireLoadsAnErrorTableAndDropsHelpers() throws {
        let kernel = FakeKernel()
        let activator = Activator(deviceMapper: kernel, lockPath: nil, busyRechecks: 0)
        #expect(activator.activate(stacks: [mirrorStack()]).map(\.state) == [.activated])
        kernel.state.withLock { $0.extraOpens["ldm_vol"] = 1 }   // mounted
        let volume = try #require(try activator.status().first)
        #expect(activator.deactivate(volumes: [volume]).map(\.state) == [.busy])
        let result = activator.retire(volume)
        #expect(result.failure == nil && result.problems.isEmpty)
        #expect(kernel.log.suffix(4) == ["reload ldm_vol 0+100 error", "remove ldm_part_b", "remove ldm_part_a", "remove ldm_vol"])
        #expect(kernel.names.isEmpty)
    }

    @Test func retireWithoutATableSaysSo() {
        let kernel = FakeKernel()
        let activator = Activator(deviceMapper: kernel, lockPath: nil)
        let empty = ActiveVolume(devices: [], health: .ok)
        #expect(activator.retire(empty).failure == "no live table")
    }

    @Test func dryRunChangesNothing() {
        let kernel = FakeKernel()
        let result = Activator(deviceMapper: kernel, lockPath: nil)
            .activate(stacks: [mirrorStack()], options: ActivationOptions(readOnly: true, dryRun: true))
        #expect(result[0].state == .planned)
        #expect(result[0].steps.map(\.action) == [.create, .create, .create])
        #expect(result[0].steps.allSatisfy { $0.readOnly })
        #expect(result[0].steps[2].description.hasPrefix("dmsetup create ldm_vol --uuid LDM-vol --readonly"))
        #expect(kernel.names.isEmpty)
    }

    /// A dry run needs no device-mapper; a real run says why it failed
    /// once, without an empty field or the volume named twice.
    @Test func dryRunWithoutDeviceMapper() {
        let kernel = FakeKernel()
        kernel.state.withLock { $0.listFailure = .library(step: .list, device: nil, messages: ["Incompatible libdevmapper"]) }
        let activator = Activator(deviceMapper: kernel, lockPath: nil)
        let dry = activator.activate(stacks: [mirrorStack()], options: ActivationOptions(dryRun: true))
        #expect(dry[0].state == .planned)
        #expect(dry[0].steps.map(\.action) == [.create, .create, .create])
        #expect(dry[0].notes.contains { $0.contains("device-mapper is not usable") && $0.contains("Incompatible libdevmapper") })
        let real = activator.activate(stacks: [mirrorStack()])
        #expect(real[0].state == .failed)
        let text = real[0].error?.description ?? ""
        #expect(!text.contains(": :"), "\(text)")
        #expect(text.hasPrefix("WinDg/Volume1: ") && !(real[0].error?.detail ?? "").contains("WinDg/Volume1"), "\(text)")
    }

    @Test func failureRollsBackAndNamesTarget() {
        let kernel = FakeKernel()
        kernel.state.withLock {
            $0.failCreate["ldm_vol"] = DMFailure(
                step: .load, device: "ldm_vol", errno: 22,
                kernelMessages: ["device-mapper: table: 254:2: raid: Unable to assemble array",
                                 "device-mapper: ioctl: error adding target to table"])
        }
        let result = Activator(deviceMapper: kernel, lockPath: nil).activate(stacks: [mirrorStack(), mirrorStack("2")])
        #expect(result[0].state == .failed)
        let error = result[0].error
        #expect(error?.device == "ldm_vol")
        #expect(error?.step == "load table")
        #expect(error?.targetIndex == 0 && error?.targetType == "raid")
        #expect(error?.reason.contains("EINVAL") == true)
        #expect(error?.rollback == ["removed ldm_part_b", "removed ldm_part_a"])
        // The other volume is unaffected.
        #expect(result[1].state == .activated)
        #expect(kernel.names == ["ldm_part_a2", "ldm_part_b2", "ldm_vol2"])
    }

    @Test func conflictingDeviceChangesNothing() {
        let kernel = FakeKernel()
        var other = mirrorStack().devices[1]
        other.targets[0].params = "8:48 0"
        try? kernel.create(other, readOnly: false)
        let result = Activator(deviceMapper: kernel, lockPath: nil).activate(stacks: [mirrorStack()])
        #expect(result[0].state == .failed)
        #expect(result[0].error?.kind == .conflict)
        #expect(result[0].error?.device == "ldm_part_b")
        #expect(kernel.names == ["ldm_part_b"])
    }

    @Test func foreignUUIDIsAConflict() {
        let kernel = FakeKernel()
        try? kernel.create(DMDevice(name: "ldm_part_a", uuid: "LVM-xyz",
                                    targets: mirrorStack().devices[0].targets), readOnly: false)
        let activator = Activator(deviceMapper: kernel, lockPath: nil)
        #expect(activator.activate(stacks: [mirrorStack()])[0].error?.kind == .conflict)
        // Nor will deactivate remove a device that is not ours.
        let d = activator.deactivate(stacks: [mirrorStack()])
        #expect(d[0].state == .failed && d[0].error?.kind == .conflict)
        #expect(kernel.names == ["ldm_part_a"])
    }

    @Test func deactivateRemovesTopFirst() {
        let kernel = FakeKernel()
        let activator = Activator(deviceMapper: kernel, lockPath: nil)
        _ = activator.activate(stacks: [mirrorStack()])
        let result = activator.deactivate(stacks: [mirrorStack()])
        #expect(result[0].state == .removed)
        #expect(result[0].removed == ["ldm_vol", "ldm_part_b", "ldm_part_a"])
        #expect(kernel.names.isEmpty)
        #expect(activator.deactivate(stacks: [mirrorStack()])[0].state == .notActive)
    }

    @Test func busyStackIsLeftWhole() {
        let kernel = FakeKernel()
        let activator = Activator(deviceMapper: kernel, lockPath: nil, busyRechecks: 0)
        _ = activator.activate(stacks: [mirrorStack()])
        kernel.state.withLock { $0.extraOpens["ldm_vol"] = 1 }
        var result = activator.deactivate(stacks: [mirrorStack()])
        #expect(result[0].state == .busy)
        #expect(result[0].error?.device == "ldm_vol")
        #expect(kernel.names.count == 3)
        // A helper opened from outside counts too.
        kernel.state.withLock { $0.extraOpens = ["ldm_part_a": 1] }
        result = activator.deactivate(stacks: [mirrorStack()])
        #expect(result[0].state == .busy)
        #expect(result[0].error?.device == "ldm_part_a")
        #expect(kernel.names.count == 3)
    }

    @Test func statusGroupsHelpersWithTheirVolume() throws {
        let kernel = FakeKernel()
        let activator = Activator(deviceMapper: kernel, lockPath: nil)
        _ = activator.activate(stacks: [mirrorStack()])
        try kernel.create(DMDevice(name: "other", uuid: "CRYPT-x",
                                   targets: [DMTarget(start: 0, length: 1, type: "zero", params: "")]),
                          readOnly: false)
        let volumes = try activator.status()
        #expect(volumes.count == 1)
        #expect(volumes[0].name == "ldm_vol")
        #expect(volumes[0].devices.map(\.name) == ["ldm_part_a", "ldm_part_b", "ldm_vol"])
        #expect(volumes[0].health == .degraded)
        let raid = try #require(volumes[0].top.targets[0].health)
        #expect(raid.members.map(\.device) == ["254:0", "254:1"])
        #expect(raid.members.map(\.state) == [.alive, .dead])

        // Deactivating by what the kernel has (disks gone).
        let result = activator.deactivate(volumes: volumes)
        #expect(result[0].state == .removed)
        #expect(kernel.names == ["other"])
    }
}

/// Errors carry their cause through each layer and read once at the edge.
@Suite struct ErrorTextTests {
    @Test func libraryFailureWithoutDeviceReadsOnce() {
        let error = DeviceMapperError.library(step: .list, device: nil,
                                              messages: ["Incompatible libdevmapper 1.02.185 and kernel driver (unknown version)."])
        #expect(error.description == "list devices: libdevmapper: Incompatible libdevmapper 1.02.185 and kernel driver (unknown version).")
        let activation = Activator.kernelError(error, volume: "status")
        #expect(activation.description == "status: list devices: libdevmapper: Incompatible libdevmapper 1.02.185 and kernel driver (unknown version).")
    }

    @Test func failedIoctlNamesStepDeviceAndKernelReason() {
        let failure = DMFailure(step: .load, device: "ldm_vol_G_V", errno: 22,   // EINVAL
                                kernelMessages: ["device-mapper: table: 254:3: raid: Device lookup failed"])
        let activation = Activator.kernelError(.failed(failure), volume: "G/V")
        #expect(activation.description == "G/V: load table of ldm_vol_G_V: EINVAL (Invalid argument): table: 254:3: raid: Device lookup failed")
    }
}
