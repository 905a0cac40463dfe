/// The state of one leg of a redundant target, from its health character.
public enum DMMemberState: String, Sendable, Equatable {
    /// `A`: alive and in sync.
    case alive
    /// `a` (raid): alive but not yet in sync (resync/recovery pending).
    case aliveNotInSync = "alive-not-in-sync"
    /// `D` (raid, mirror, striped): dead or failed writes.
    case dead
    /// Other mirror failure letters: `F` flush, `S` sync, `R` read, `U` unclassified.
    case failed
    /// `-` (raid): no device in this slot (the table gave `- -`); seen on
    /// kernel 6.1 for a degraded raid5 started without the leg.
    case missing
    case unknown

    init(raid character: Character) {
        switch character {
        case "A": self = .alive
        case "a": self = .aliveNotInSync
        case "D": self = .dead
        case "-": self = .missing
        default: self = .unknown
        }
    }

    init(mirror character: Character) {
        switch character {
        case "A": self = .alive
        case "D", "F", "S", "R", "U": self = character == "D" ? .dead : .failed
        default: self = .unknown
        }
    }
}

public struct DMMemberHealth: Sendable, Equatable {
    /// Position in the target's device list.
    public var index: Int
    /// The member device as the table names it (`8:16`), or `-` for a
    /// missing leg.
    public var device: String
    public var state: DMMemberState

    public init(index: Int, device: String, state: DMMemberState) {
        self.index = index
        self.device = device
        self.state = state
    }
}

/// Health of a `raid` or `mirror` target, parsed from its table and status.
public struct DMRedundancyHealth: Sendable, Equatable {
    /// `raid1`, `raid5_ls`, ... for dm-raid; `mirror` for dm-mirror.
    public var level: String
    public var members: [DMMemberHealth]
    public var syncedSectors: UInt64
    public var totalSectors: UInt64
    /// dm-raid's sync action: idle, frozen, resync, recover, check, repair,
    /// reshape. nil for mirror.
    public var syncAction: String?
    /// dm-raid's mismatch count from the last check/repair.
    public var mismatchCount: UInt64?

    public var inSync: Bool { totalSectors > 0 && syncedSectors >= totalSectors }
    public var degraded: Bool { members.contains { [.dead, .failed, .missing].contains($0.state) } }

    /// Parses `raid` status `<level> <#devs> <health> <synced>/<total>
    /// <action> <mismatches> [...]` against its table `<level> <#params>
    /// <params...> <#devs> <meta dev>...`; `mirror` status `<#legs> <dev>...
    /// <synced>/<total> <#health args> <health> ...`. nil for other types
    /// or text that does not fit.
    public static func parse(type: String, tableParams: String, status: String) -> DMRedundancyHealth? {
        let s = status.split(separator: " ").map(String.init)
        switch type {
        case "raid": return parseRaid(table: tableParams.split(separator: " ").map(String.init), status: s)
        case "mirror": return parseMirror(s)
        default: return nil
        }
    }

    private static func ratio(_ text: String) -> (UInt64, UInt64)? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let a = UInt64(parts[0]), let b = UInt64(parts[1]) else { return nil }
        return (a, b)
    }

    private static func parseRaid(table: [String], status: [String]) -> DMRedundancyHealth? {
        guard status.count >= 4, let count = Int(status[1]), count > 0,
              status[2].count == count, let (synced, total) = ratio(status[3]) else { return nil }
        // Member data devices from the table: after the level, the counted
        // parameters, then <#devs> pairs of <metadata dev> <data dev>.
        var devices = Array(repeating: "?", count: count)
        if table.count >= 2, let paramCount = Int(table[1]), table.count > 2 + paramCount,
           let devCount = Int(table[2 + paramCount]), devCount == count,
           table.count >= 3 + paramCount + 2 * devCount {
            for i in 0..<count { devices[i] = table[3 + paramCount + 2 * i + 1] }
        }
        let members = status[2].enumerated().map { i, c in
            DMMemberHealth(index: i, device: devices[i], state: DMMemberState(raid: c))
        }
        return DMRedundancyHealth(
            level: status[0], members: members, syncedSectors: synced, totalSectors: total,
            syncAction: status.count > 4 ? status[4] : nil,
            mismatchCount: status.count > 5 ? UInt64(status[5]) : nil)
    }

    private static func parseMirror(_ status: [String]) -> DMRedundancyHealth? {
        guard let count = Int(status.first ?? ""), count > 0, status.count >= count + 4,
              let (synced, total) = ratio(status[count + 1]),
              let healthArgs = Int(status[count + 2]), healthArgs >= 1 else { return nil }
        let health = Array(status[count + 3])
        guard health.count == count else { return nil }
        let members = (0..<count).map { i in
            DMMemberHealth(index: i, device: status[1 + i], state: DMMemberState(mirror: health[i]))
        }
        return DMRedundancyHealth(level: "mirror", members: members, syncedSectors: synced,
                                  totalSectors: total, syncAction: nil, mismatchCount: nil)
    }
}
