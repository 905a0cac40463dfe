import Activation
import BlockDevices
import DMTable
import LDM

extension Hotplug {
    /// The kernel's view (number, partitions) of the disks one volume uses,
    /// read once: one stat and one sysfs listing each.
    static func kernelView(of v: Volume, in g: DiskGroup) -> [DevicePath: DiskDevice] {
        var devices: [DevicePath: DiskDevice] = [:]
        for p in v.partitions {
            guard let path = g.disk(id: p.diskID)?.location?.device, devices[path] == nil else { continue }
            devices[path] = DiskDevice.of(blockDevice: path)
        }
        return devices
    }

    /// A mirror or RAID-5 that keeps running without a lost disk: planned
    /// again from the records the group has left (the lost disk is absent,
    /// so its slot is planned empty and its helper not at all) and reloaded
    /// so (`Activator.dropLostMembers`), as mdadm fails and removes a member
    /// whose disk went away. Never adds a member. Logs what happened.
    func dropLostMember(uuid: String, name: String, label: String, lostDisk: GUID, device: String, in groups: [DiskGroup]) {
        let found = groups.lazy.compactMap { g in g.volumes.first { DeviceNames.volumeUUID(g, $0) == uuid }.map { (g, $0) } }.first
        let diskName = found.flatMap { g, _ in g.disks.first { $0.guid == lostDisk }?.name.display } ?? "?"
        let said = "\(label) (\(name)) keeps running without disk \(diskName) \(lostDisk) (\(device)): it is now degraded"
        guard let (g, v) = found else {
            state.log("\(said); its table still names the member (the volume is not in the group's records)")
            return
        }
        let devices = Self.kernelView(of: v, in: g)
        let planned = VolumePipeline(allowDegraded: true, select: { $1.id == v.id }).plan([g], devices: devices)
        guard let stack = planned.stacks.first else {
            let why = planned.planErrors.first.map { "\($0)" } ?? planned.conflict.map { "\($0)" } ?? "not planned"
            state.log("\(said); could not plan it without the disk (\(why)), so its table still names the member")
            return
        }
        do {
            guard let live = try activator.status().first(where: { $0.uuid == uuid }) else {
                state.log("\(said); it is no longer active")
                return
            }
            let removed = try activator.dropLostMembers(live, planned: stack)
            state.log(removed.isEmpty ? said : "\(said); its table now has the member missing (removed \(removed.joined(separator: ", ")))")
        } catch {
            state.log("\(said); could not reload it without the member (\(error)), so its table still names it")
        }
    }
}
