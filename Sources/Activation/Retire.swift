import DeviceMapper
import DMTable

extension Activator {
    /// What `retire` did: `failure` is nil when the volume is retired;
    /// `problems` are what went wrong on the way without stopping it.
    public struct Retirement: Sendable {
        public var failure: String?
        public var problems: [String]
    }

    /// An open volume that can no longer work, as lvm2 and mdadm treat a
    /// device whose disk is gone: its table becomes one `error` target of
    /// the same size (I/O fails at once instead of waiting on a disk that
    /// is gone), the helper devices under it go, and the volume itself is
    /// removed when its last user closes it (DM_DEFERRED_REMOVE). For a
    /// volume `deactivate` found busy.
    public func retire(_ v: ActiveVolume) -> Retirement {
        let dm = deviceMapper
        var problems: [String] = []
        guard let top = v.devices.last, case let size = top.targets.reduce(UInt64(0), { $0 + $1.length }), size > 0 else {
            return Retirement(failure: "no live table", problems: [])
        }
        let failing = DMDevice(name: top.name, uuid: top.uuid,
                               targets: [DMTarget(start: 0, length: size, type: "error", params: "")])
        do throws(DeviceMapperError) {
            try dm.reload(failing, readOnly: top.readOnly)
        } catch {
            return Retirement(failure: "loading an error table: \(error)", problems: [])
        }
        // No longer used by the volume: the helpers can go now.
        for helper in v.devices.dropLast().reversed() {
            do throws(DeviceMapperError) { try dm.remove(name: helper.name) } catch {
                problems.append("could not remove helper device \(helper.name) of \(top.name): \(error)")
            }
        }
        do throws(DeviceMapperError) {
            _ = try dm.removeDeferred(name: top.name)
        } catch {
            return Retirement(failure: "deferred removal: \(error)", problems: problems)
        }
        return Retirement(failure: nil, problems: problems)
    }
}
