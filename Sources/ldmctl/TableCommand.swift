import ArgumentParser
import LDM
import DMTable
import BlockDevices

/// Reaches extents through the smallest kernel partition that holds them
/// (the LDM data partition, or the kernel's own per-LDM-partition device),
/// falling back to the whole disk.
struct PartitionResolver: ExtentResolver {
    func resolve(disk: Disk, location: DiskLocation, start: UInt64, length: UInt64) -> (path: String, offset: UInt64) {
        if let map = PartitionMap(device: location.device), let p = map.covering(start: start, length: length) {
            return (p.path, start - p.start)
        }
        return (location.device, start)
    }
}

/// Volume selection shared by `table` and `activate`.
struct VolumeSelection: ParsableArguments {
    @Option(name: .customLong("group"), help: ArgumentHelp("Only this disk group (name or GUID).", valueName: "name|guid"))
    var group: String?

    @Option(name: .customLong("volume"), help: ArgumentHelp("Only this volume (repeatable).", valueName: "name"))
    var volumes: [String] = []

    @Flag(name: .customLong("whole-disk"), help: "Map through whole-disk devices even where a partition device covers the extent.")
    var wholeDisk = false

    func planner() -> TablePlanner {
        TablePlanner(resolver: wholeDisk ? WholeDiskResolver() : PartitionResolver() as any ExtentResolver)
    }

    /// The selected (group, volume) pairs; throws if a named group or
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

struct TableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table",
        abstract: "Print device-mapper tables for volumes.",
        discussion: """
            The default output is readable: `# name`, the device's UUID and which block \
            device each extent goes through, then the table lines. With --concise the \
            output is exactly what `dmsetup create --concise` accepts. Devices of one \
            volume are listed in dependency order.
            """)

    @Flag(help: "One line in `dmsetup create --concise` format.")
    var concise = false

    @OptionGroup var selection: VolumeSelection
    @OptionGroup var options: DeviceOptions

    func run() throws {
        let inventory = Inventory.load(options)
        inventory.reportErrors()
        var failed = !inventory.errors.isEmpty
        let planner = selection.planner()
        var stacks: [VolumeStack] = []
        for (g, v) in try selection.select(inventory) {
            do {
                stacks.append(try planner.plan(g, v))
            } catch {
                warn("\(error)")
                failed = true
            }
        }
        try TablePlanner.checkUnique(stacks)
        if concise {
            let devices = stacks.flatMap(\.devices).map(Concise.device)
            if !devices.isEmpty { print(devices.joined(separator: ";")) }
        } else {
            for s in stacks {
                for note in s.notes { print("# \(s.groupName)/\(s.volumeName): \(note)") }
                for d in s.devices {
                    print("# \(d.name)")
                    print("# uuid \(d.uuid)")
                    for t in d.targets { print(t.line) }
                }
                print("")
            }
        }
        if failed || (inventory.groups.isEmpty && !options.devices.isEmpty) { throw Failed() }
    }
}

/// `dmsetup create --concise`: `name,uuid,minor,flags,table[,table...]`
/// per device, devices joined by `;`. Commas, semicolons and backslashes
/// inside a field are escaped with a backslash.
enum Concise {
    static func device(_ d: DMDevice) -> String {
        ([d.name, d.uuid, "", "rw"] + d.targets.map(\.line)).map(escape).joined(separator: ",")
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            if c == "," || c == ";" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
