#if canImport(Glibc)
import Glibc
#endif
import LDM
import DMTable
import SystemIO

/// Which device-mapper devices use a group's disks, found in sysfs so the
/// check needs neither root nor libdevmapper: a device whose dm name or
/// uuid says it is a volume of the group, and any holder (dm, md, ...) of
/// a member disk or of one of its partitions.
enum ActiveVolumes {
    static func holding(group: DiskGroup) -> [String] {
        var found: [String] = []
        let blocks = (try? SystemIO.listDirectory("/sys/block")) ?? []
        for dm in blocks where dm.hasPrefix("dm-") {
            let name = read("/sys/block/\(dm)/dm/name"), uuid = read("/sys/block/\(dm)/dm/uuid")
            if DeviceNames.belongs(name: name, uuid: uuid, toGroup: group.guid.text) {
                found.append("\(LDMName(name).display) (\(dm))")
            }
        }
        for disk in group.disks {
            guard let given = disk.location?.device.string else { continue }
            // A link (/dev/disk/by-id/..., /dev/mapper/...) names the
            // kernel's device only once resolved.
            guard let resolved = realpath(given, nil) else { continue }
            let device = String(cString: resolved)
            free(resolved)
            guard device.hasPrefix("/dev/") else { continue }
            let kernelName = String(device.split(separator: "/").last ?? "")
            let base = "/sys/class/block/\(kernelName)"
            var names = [kernelName]
            names += ((try? SystemIO.listDirectory(base)) ?? []).filter { $0.hasPrefix(kernelName) }
            for n in names {
                for h in (try? SystemIO.listDirectory("/sys/class/block/\(n)/holders")) ?? [] where !h.hasPrefix(".") {
                    found.append("\(h) holds \(n)")
                }
            }
        }
        return found
    }

    static func read(_ path: String) -> String {
        let bytes = SystemIO.readFile(path, limit: 4096) ?? []
        return String(decoding: bytes, as: UTF8.self).trimmingSuffix()
    }
}

extension String {
    func trimmingSuffix() -> String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == " " { s = s.dropLast() }
        return String(s)
    }
}
