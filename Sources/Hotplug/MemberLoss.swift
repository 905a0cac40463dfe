import Activation
import BlockDevices
import DMTable
import LDM

extension Hotplug {
    /// A mirror or RAID-5 that keeps running without a lost disk: reloaded
    /// with that member missing (`Activator.dropLostMembers`), so the
    /// kernel's status says so at once, and the lost disk is remembered
    /// with the volume for `ldmctl status`. Called under the state lock;
    /// returns what the log line should add.
    func dropLostMember(_ live: ActiveVolume, group g: DiskGroup, volume v: Volume, lost: RecordedDisk) -> String {
        let diskName = g.disks.first { $0.guid == lost.diskGUID }?.name.deviceSafe ?? "?"
        if var info = state.loadVolume(live.uuid) {
            let entry = "\(diskName) \(lost.diskGUID.text) \(lost.device)"
            if !info.lostDisks.contains(entry) { info.lostDisks.append(entry) }
            try? state.saveVolume(info)
        }
        // The group as the records left it: the lost disk is absent, so its
        // slot is planned empty and its helper is not planned at all.
        var devices: [DevicePath: DiskDevice] = [:]
        for p in v.partitions {
            guard let path = g.disk(id: p.diskID)?.location?.device, devices[path] == nil else { continue }
            devices[path] = DiskDevice.of(blockDevice: path)
        }
        let planned = VolumePipeline(allowDegraded: true, select: { $1.id == v.id }).plan([g], devices: devices)
        guard let stack = planned.stacks.first else {
            let why = planned.planErrors.first.map { "\($0)" } ?? planned.conflict.map { "\($0)" } ?? "not planned"
            return "; could not plan it without the disk (\(why)), so its table still names the member"
        }
        do {
            let removed = try activator.dropLostMembers(live, planned: stack)
            return removed.isEmpty ? "" : "; its table now has the member missing (removed \(removed.joined(separator: ", ")))"
        } catch {
            return "; could not reload it without the member (\(error)), so its table still names it"
        }
    }
}
