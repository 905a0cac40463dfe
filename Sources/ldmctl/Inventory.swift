import LDM
import DMTable
import BlockDevices
import Activation

/// The disks and groups a command sees: read once, then filtered.
struct Inventory {
    var groups: [DiskGroup]
    /// Device and group errors, already display-safe.
    var errors: [String]
    /// Worth saying, not failures (a disk named twice).
    var notes: [String]
    var explicitDevices: Bool

    static func load(devices: [String], imageSectorSize: Int) -> Inventory {
        let scan = DiskScanner(imageSectorSize: imageSectorSize).scan(devices)
        let assembled = GroupAssembler.assemble(scan.members)
        return Inventory(groups: assembled.groups, errors: scan.errors + assembled.errors.map(\.description),
                         notes: scan.notes, explicitDevices: !devices.isEmpty)
    }

    /// Groups matching `selector` (name, device-safe name or GUID); all when nil.
    func groups(matching selector: String?) -> [DiskGroup] {
        guard let selector else { return groups }
        return groups.filter {
            $0.name.display == selector || $0.guid.text == selector.lowercased() || DeviceNames.groupPart($0) == selector
        }
    }

    func reportErrors() {
        for n in notes { warn("note: \(n)") }
        for e in errors { warn(e) }
    }

    /// Exit 1 when a named device could not be read, or named devices
    /// held no dynamic disk at all.
    var failed: Bool { !errors.isEmpty || (groups.isEmpty && explicitDevices) }
}

/// Volume selection shared by `table` and `activate`.
struct VolumeSelection {
    static let options = [
        OptionSpec(long: "group", short: "g", kind: .value("NAME|GUID"), help: "Only volumes of this disk group."),
        OptionSpec(long: "volume", short: nil, kind: .repeated("NAME"), help: "Only this volume (repeatable)."),
        OptionSpec(long: "whole-disk", short: nil, kind: .flag,
                   help: "Map through whole disks even where a partition device covers the extent."),
    ]

    var group: String?
    var volumes: [String]
    var wholeDisk: Bool

    init(_ a: ParsedArguments) {
        group = a.value("group")
        volumes = a.all("volume")
        wholeDisk = a.flag("whole-disk")
    }

    init(group: String?, volumes: [String], wholeDisk: Bool) {
        self.group = group
        self.volumes = volumes
        self.wholeDisk = wholeDisk
    }

    func planner() -> TablePlanner {
        TablePlanner(resolver: wholeDisk ? WholeDiskResolver() : KernelPartitionResolver() as any ExtentResolver)
    }

    /// The selected (group, volume) pairs; fails if a named group or
    /// volume does not exist.
    func select(_ inventory: Inventory) throws -> [(DiskGroup, Volume)] {
        let groups = inventory.groups(matching: group)
        if let group, groups.isEmpty {
            warn("no disk group \(LDMName(group).display) found")
            throw Failed()
        }
        var out: [(DiskGroup, Volume)] = []
        for g in groups {
            for v in g.volumes where volumes.isEmpty || volumes.contains(v.name.display) {
                out.append((g, v))
            }
        }
        for name in volumes where !out.contains(where: { $0.1.name.display == name }) {
            warn("no volume \(LDMName(name).display) found")
            throw Failed()
        }
        return out
    }
}
