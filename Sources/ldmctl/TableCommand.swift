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
        volume are listed in dependency order. A disk is named by its path where the
        path can stand in a table line (no spaces, quotes, control or non-ASCII bytes),
        else by its device number; an image file with such a path is shown as
        <imageN>, explained in a comment. Attach an image with `losetup -f --show -P
        IMAGE` and name the loop device to get tables the kernel can load.
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
        selection = try VolumeSelection(a)
        devices = a.positional
        imageSectorSize = try DeviceArguments.imageSectorSize(a)
    }

    func run() throws {
        let (stacks, failed, _) = try selection.plan(devices: devices, imageSectorSize: imageSectorSize)
        var naming = MemberNaming()
        var out = ""
        if concise {
            let devices = stacks.flatMap(\.devices).map { Concise.device($0, &naming) }
            if !devices.isEmpty { out = devices.joined(separator: ";") + "\n" }
            for c in naming.comments { warn(c) }
        } else {
            for s in stacks {
                for note in s.notes { out += "# \(s.groupName)/\(s.volumeName): \(note)\n" }
                var lines = ""
                for d in s.devices {
                    lines += "# \(d.name)\n# uuid \(d.uuid)\n"
                    for t in d.targets { lines += naming.line(t) + "\n" }
                }
                for c in naming.takeComments() { out += "# \(c)\n" }
                out += lines + "\n"
            }
        }
        print(out, terminator: "")
        if failed { throw Failed() }
    }
}

/// How a printed table names the disks it maps: by path where the path can
/// stand as one field of a table line; otherwise a block device by its
/// number, and an image file (which has none) by a placeholder `<imageN>`,
/// each said in a comment. Tables loaded by `activate` always use numbers.
struct MemberNaming {
    private var images: [String: Int] = [:]
    private(set) var comments: [String] = []
    private var said: Set<String> = []

    mutating func name(_ m: TableMember) -> String {
        if let path = m.tablePath { return path }
        if let number = m.number {
            note("\(m.display) is named by its device number \(number): its path cannot stand in a table line")
            return number.description
        }
        let index = images[m.display] ?? images.count + 1
        images[m.display] = index
        note("<image\(index)> is the image file \(m.display): its path cannot stand in a table line and an image file has no "
             + "device number; attach it with `losetup -f --show -P` and name the loop device for a table the kernel can load")
        return "<image\(index)>"
    }

    mutating func line(_ t: DMTarget) -> String {
        "\(t.start) \(t.length) \(t.type) " + t.text { name($0) }
    }

    /// The comments added since the last call.
    mutating func takeComments() -> [String] {
        defer { comments = [] }
        return comments
    }

    private mutating func note(_ text: String) {
        if said.insert(text).inserted { comments.append(text) }
    }
}

/// `dmsetup create --concise`: `name,uuid,minor,flags,table[,table...]`
/// per device, devices joined by `;`. Commas, semicolons and backslashes
/// inside a field are escaped with a backslash.
enum Concise {
    static func device(_ d: DMDevice, _ naming: inout MemberNaming) -> String {
        ([d.name, d.uuid, "", "rw"] + d.targets.map { naming.line($0) }).map(escape).joined(separator: ",")
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
