import LDM
import DMTable

struct TableCommand: Command {
    static let name = "table"
    static let summary = "Print device-mapper tables for volumes."
    static let usage = "ldmctl table [--concise] [--group NAME|GUID] [--volume NAME]... [DEVICE...]"
    static let discussion = """
        The default output is readable: for each device `# name`, its DM UUID and which
        block device each extent goes through, then the table lines. With --concise the
        output is exactly what `dmsetup create --concise` accepts. The devices of one
        volume are listed in dependency order. With image files the tables name the
        file; attach it with `losetup -f --show -P IMAGE` and name the loop device
        to get tables the kernel can load.
        """
    static let options = [
        OptionSpec(long: "concise", short: nil, kind: .flag, help: "One line in `dmsetup create --concise` format."),
    ] + VolumeSelection.options + DeviceArguments.options

    let concise: Bool
    let selection: VolumeSelection
    let devices: [String]
    let imageSectorSize: Int

    init(_ a: ParsedArguments) throws {
        concise = a.flag("concise")
        selection = VolumeSelection(a)
        devices = a.positional
        imageSectorSize = try DeviceArguments.imageSectorSize(a)
    }

    func run() throws {
        let inventory = Inventory.load(devices: devices, imageSectorSize: imageSectorSize)
        inventory.reportErrors()
        var failed = inventory.failed
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
        var out = ""
        if concise {
            let devices = stacks.flatMap(\.devices).map(Concise.device)
            if !devices.isEmpty { out = devices.joined(separator: ";") + "\n" }
        } else {
            for s in stacks {
                for note in s.notes { out += "# \(s.groupName)/\(s.volumeName): \(note)\n" }
                for d in s.devices {
                    out += "# \(d.name)\n# uuid \(d.uuid)\n"
                    for t in d.targets { out += t.line + "\n" }
                }
                out += "\n"
            }
        }
        print(out, terminator: "")
        if failed { throw Failed() }
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
