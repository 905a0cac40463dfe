import JSONText
import LDM
import Activation
import DeviceMapper
import Hotplug

struct StatusCommand: Command {
    static let name = "status"
    static let summary = "Show the LDM volumes active in the kernel, their members and health."
    static let usage = "ldmctl status [--json]"
    static let discussion = """
        Lists device-mapper devices whose DM UUID starts with LDM-, grouped by volume
        (helper devices first). Health comes from the kernel's own status of each
        target; for RAID targets each member's health character is shown
        (A alive and in sync, a alive but not in sync, D dead, - missing). A disk
        that went away while its mirror or RAID-5 kept running is named as a
        lost member (from the hotplug helper's records under /run/ldmctl).
        """
    static let options = [
        OptionSpec(long: "json", short: nil, kind: .flag, help: "Print JSON."),
    ]

    let json: Bool

    init(_ a: ParsedArguments) throws {
        guard a.positional.isEmpty else { throw UsageError(message: "status takes no arguments") }
        json = a.flag("json")
    }

    func run() throws {
        let volumes: [ActiveVolume]
        do {
            volumes = try Activator().status()
        } catch {
            warn("\(error)")
            throw Failed()
        }
        if json {
            print(JSON.object([("volumes", .array(volumes.map(Self.json)))]).rendered())
            return
        }
        var out = ""
        for v in volumes {
            out += "\(v.name)  \(v.health.rawValue)\(v.inUse ? "  in use" : "")  \(v.uuid)\n"
            for lost in Self.lostDisks(v) {
                out += "  lost member: disk \(lost.name) (disk GUID \(lost.guid), was \(lost.device))\n"
            }
            for d in v.devices {
                out += "  \(d.name) (\(d.kernelName), \(d.number))\(d.readOnly ? " ro" : "")\(d.suspended ? " suspended" : "") open \(d.openCount)\n"
                for t in d.targets {
                    out += "    \(t.start) \(t.length) \(t.type): \(t.status)\n"
                    if let h = t.health {
                        let members = h.members.map { "\($0.index):\($0.device)=\($0.state.rawValue)" }.joined(separator: " ")
                        out += "      \(h.level) members \(members); sync \(h.syncedSectors)/\(h.totalSectors)\n"
                    }
                }
            }
        }
        print(out, terminator: "")
    }

    static func json(_ v: ActiveVolume) -> JSON {
        .object([
            ("name", .string(v.name)),
            ("uuid", .string(v.uuid)),
            ("health", .string(v.health.rawValue)),
            ("inUse", .bool(v.inUse)),
            ("lostDisks", .array(lostDisks(v).map { lost in
                .object([("name", .string(lost.name)), ("guid", .string(lost.guid)), ("device", .string(lost.device))])
            })),
            ("devices", .array(v.devices.map { d in
                .object([
                    ("name", .string(d.name)),
                    ("uuid", .string(d.uuid)),
                    ("kernelName", .string(d.kernelName)),
                    ("number", .string(d.number.description)),
                    ("openCount", .int(d.openCount)),
                    ("readOnly", .bool(d.readOnly)),
                    ("suspended", .bool(d.suspended)),
                    ("holders", .array(d.holders.map(JSON.string))),
                    ("targets", .array(d.targets.map { t in
                        .object([
                            ("start", .number(t.start)),
                            ("length", .number(t.length)),
                            ("type", .string(t.type)),
                            ("params", .string(t.params)),
                            ("status", .string(t.status)),
                            ("health", t.health.map { h in
                                .object([
                                    ("level", .string(h.level)),
                                    ("members", .array(h.members.map { m in
                                        .object([("index", .int(m.index)), ("device", .string(m.device)),
                                                 ("state", .string(m.state.rawValue))])
                                    })),
                                    ("syncedSectors", .number(h.syncedSectors)),
                                    ("totalSectors", .number(h.totalSectors)),
                                    ("syncAction", .optional(h.syncAction)),
                                ])
                            } ?? .null),
                        ])
                    })),
                ])
            })),
        ])
    }

    /// Disks the volume lost while it kept running, as the hotplug helper
    /// recorded them (`<disk name> <disk GUID> <device>`). The file is
    /// root's, but what is printed is still kept to plain characters.
    static func lostDisks(_ v: ActiveVolume) -> [(name: String, guid: String, device: String)] {
        guard let info = RunState().loadVolume(v.uuid) else { return [] }
        return info.lostDisks.compactMap { entry in
            let fields = entry.split(separator: " ").map { field in
                String(field.unicodeScalars.map { $0.value > 0x20 && $0.value < 0x7F ? Character($0) : "?" })
            }
            return fields.count == 3 ? (fields[0], fields[1], fields[2]) : nil
        }
    }
}
