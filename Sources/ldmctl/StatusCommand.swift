import JSONText
import LDM
import Activation
import DeviceMapper

struct StatusCommand: Command {
    static let name = "status"
    static let summary = "Show the LDM volumes active in the kernel, their members and health."
    static let usage = "ldmctl status [--json]"
    static let discussion = """
        Lists device-mapper devices whose DM UUID starts with LDM-, grouped by volume
        (helper devices first). Health comes from the kernel's own status of each
        target; for RAID targets each member's health character is shown
        (A alive and in sync, a alive but not in sync, D dead).
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
}
