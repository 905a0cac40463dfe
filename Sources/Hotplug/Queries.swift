import BlockDevices
import DeviceMapper
import DMTable
import LDM
#if canImport(Glibc)
import Glibc
#endif

/// Read-only answers for udev rules (IMPORT{program}).
public enum UdevQueries {
    /// For a kernel partition of an LDM disk: what it holds, from the disk's
    /// record (written by the disk's own event, which udev finishes before
    /// the partition's). Prints nothing for other partitions.
    public static func partition(device: String, state: RunState = RunState()) -> UdevProperties {
        var out = UdevProperties()
        var st = stat()
        guard RecordedDisk.isPlainDevicePath(device), stat(device, &st) == 0, st.st_mode & S_IFMT == S_IFBLK else { return out }
        let number = DeviceNumber(encoded: UInt64(st.st_rdev))
        let sys = "/sys/dev/block/\(number)"
        guard let start = SystemDisks.readSysfs("\(sys)/start").flatMap({ UInt64($0) }),
              let size = SystemDisks.readSysfs("\(sys)/size").flatMap({ UInt64($0) }),
              let parent = SystemDisks.readSysfs("\(sys)/../dev").flatMap({ DeviceNumber($0) }),
              let record = state.loadRecord(parent) else { return out }
        out.set("LDM_PARENT_DISK_GUID", record.diskGUID.text)
        out.set("LDM_GROUP_GUID", record.groupGUID.text)
        let matches = record.partitions.filter { $0.start == start && $0.size == size }
        let role = matches.first { $0.role != "container" }?.role ?? matches.first?.role
        guard let role else { return out }
        out.set("LDM_PARTITION_ROLE", role)
        // Alone, only a simple volume's partition holds a whole file system;
        // a mirror leg does too, but writing to it behind the mirror's back
        // would make the legs differ, so it is left alone as well.
        out.set("LDM_PARTITION_USABLE", role == VolumeType.simple.rawValue ? "1" : "0")
        return out
    }

    /// For an LDM dm device (`dm-N`): group, volume, drive-letter hint and
    /// the /dev/ldm link, from what the helper recorded when it activated
    /// the volume, else from the metadata of one member disk.
    public static func dmInfo(kernelName: String, state: RunState = RunState()) -> UdevProperties {
        var out = UdevProperties()
        guard kernelName.hasPrefix("dm-"), kernelName.utf8.dropFirst(3).allSatisfy({ (48...57).contains($0) }),
              kernelName.count > 3, kernelName.count < 16,
              let uuid = SystemDisks.readSysfs("/sys/block/\(kernelName)/dm/uuid"),
              DeviceNames.isVolumeUUID(uuid) else { return out }   // not ours, or a mirror's or RAID-5's helper device
        let info = state.loadVolume(uuid) ?? fromMembers(kernelName: kernelName, uuid: uuid)
        guard let info else { return out }
        out.set("LDM_GROUP", info.group)
        out.set("LDM_GROUP_GUID", info.groupGUID.text)
        out.set("LDM_VOLUME", info.volume)
        out.set("LDM_VOLUME_TYPE", info.type)
        if !info.driveHint.isEmpty { out.set("LDM_DRIVE_HINT", info.driveHint) }
        if info.degraded { out.set("LDM_DEGRADED", "1") }
        // Both parts are already device-safe; "/" joins them.
        out.setPath("LDM_LINK", ["ldm", linkComponent(info.group), linkComponent(info.volume)])
        return out
    }

    /// Finds one member disk through sysfs `slaves` (through the helper
    /// devices of a mirror or RAID-5), reads it, and finds the volume.
    static func fromMembers(kernelName: String, uuid: String) -> VolumeInfo? {
        var queue = [kernelName]
        var seen: Set<String> = []
        while let name = queue.first {
            queue.removeFirst()
            guard seen.insert(name).inserted, seen.count < 64 else { continue }
            for slave in SystemDisks.listDirectory("/sys/block/\(name)/slaves").sorted() where slave.utf8.allSatisfy({ LDMName.isDeviceSafe($0) }) {
                if slave.hasPrefix("dm-") { queue.append(slave); continue }
                // A partition's sysfs directory sits inside its disk's.
                let disk = access("/sys/class/block/\(slave)/partition", F_OK) == 0 ? parentDisk(of: slave) : slave
                guard let disk, let source = try? FileSectorSource(path: "/dev/\(disk)"),
                      let m = try? DiskMetadata.read(from: source) else { continue }
                for g in GroupAssembler.assemble([m]).groups {
                    for v in g.volumes where DeviceNames.sameVolume(DeviceNames.volumeUUID(g, v), uuid) {
                        return VolumeInfo(uuid: uuid, dmName: DeviceNames.volumeName(g, v), groupGUID: g.guid,
                                          group: DeviceNames.groupPart(g), volume: v.name.deviceSafe, type: v.type.rawValue,
                                          driveHint: v.driveHint.map { UdevProperties.escape($0.raw) } ?? "",
                                          state: .active, degraded: false, lateMemberNoted: false)
                    }
                }
            }
        }
        return nil
    }

    /// The whole disk a kernel partition belongs to (its sysfs parent).
    static func parentDisk(of partition: String) -> String? {
        guard let real = realpath("/sys/class/block/\(partition)/..", nil) else { return nil }
        defer { free(real) }
        let path = String(cString: real)
        let name = String(path.split(separator: "/").last ?? "")
        return name.isEmpty || !name.utf8.allSatisfy({ LDMName.isDeviceSafe($0) }) ? nil : name
    }
}
