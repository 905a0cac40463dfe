import DMTable
import DeviceMapper

extension Activator {
    /// A redundant volume whose disk went away keeps running without that
    /// member, as mdadm fails and removes a member whose disk is gone: the
    /// volume's table is reloaded with the lost members' slots empty
    /// (`- -`), so dm-raid reports them missing at once rather than only
    /// after I/O has hit them, and their helper devices go.
    ///
    /// `planned` is the volume as planned without the lost disks. Nothing
    /// is ever added: every helper it uses must already be live, so a disk
    /// that came back is not taken in behind the user's back. Returns the
    /// helper devices removed (empty if nothing had to change).
    public func dropLostMembers(_ live: ActiveVolume, planned: VolumeStack) throws(ActivationError) -> [String] {
        let volume = Self.volumeLabel(planned)
        guard let top = planned.devices.last, top.name == live.name, top.uuid == live.uuid else {
            throw ActivationError(kind: .conflict, volume: volume, device: live.name,
                                  reason: "the planned volume is not the live device")
        }
        let liveHelpers = live.devices.dropLast().map(\.name)
        let kept = planned.devices.dropLast().map(\.name)
        if let new = kept.first(where: { !liveHelpers.contains($0) }) {
            throw ActivationError(kind: .conflict, volume: volume, device: new,
                                  reason: "would add a member to the running volume; members are never re-added")
        }
        let lost = liveHelpers.filter { !kept.contains($0) }
        if lost.isEmpty { return [] }

        let results: [Result<[String], ActivationError>] = withLock(
            skip: false, stacks: [planned], failed: { _, error in .failure(error) }) {
            do throws(DeviceMapperError) {
                try deviceMapper.reload(top, readOnly: live.top.readOnly)
            } catch {
                return [.failure(Self.kernelError(error, volume: volume, device: top))]
            }
            // No longer in the volume's table: the lost members' helpers go
            // (and with them the last hold on the disk that went away).
            var removed: [String] = []
            for name in lost.reversed() {
                do throws(DeviceMapperError) { try deviceMapper.remove(name: name) } catch {
                    if case .notFound = error { continue }
                    var failure = Self.kernelError(error, volume: volume)
                    failure.device = name
                    return [.failure(failure)]
                }
                removed.append(name)
            }
            return [.success(removed)]
        }
        return try results[0].get()
    }
}
