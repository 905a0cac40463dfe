import LDM
import BlockDevices

/// The disks and groups a command sees: read once, then filtered.
struct Inventory {
    var groups: [DiskGroup]
    /// Device and group errors, already display-safe.
    var errors: [String]

    static func load(_ options: DeviceOptions) -> Inventory {
        let scan = DiskScanner(imageSectorSize: options.imageSectorSize).scan(options.devices)
        let assembled = GroupAssembler.assemble(scan.members)
        return Inventory(groups: assembled.groups, errors: scan.errors + assembled.errors.map(\.description))
    }

    /// Groups matching `selector` (name or GUID); all when nil.
    func groups(matching selector: String?) -> [DiskGroup] {
        guard let selector else { return groups }
        return groups.filter { $0.name.display == selector || $0.guid.text == selector.lowercased() || DMName.group($0) == selector }
    }

    func reportErrors() {
        for e in errors { warn(e) }
    }
}

import DMTable
enum DMName {
    static func group(_ g: DiskGroup) -> String { DeviceNames.groupPart(g) }
}
