import JSONText
import LDM

/// The JSON that `show --json` prints. Keys are part of the interface:
/// scripts depend on `groups[].name/guid/disks/volumes` and on each
/// volume's `name`, `type`, `sizeBytes` and `state`. Add keys, never rename.
enum ShowOutput {
    static func json(groups: [DiskGroup], errors: [String]) -> JSON {
        .object([
            ("groups", .array(groups.map(group))),
            ("errors", .array(errors.map(JSON.string))),
        ])
    }

    static func group(_ g: DiskGroup) -> JSON {
        .object([
            ("name", .string(g.name.display)),
            ("guid", .string(g.guid.text)),
            ("clone", .int(g.cloneIndex)),
            ("sectorSize", .int(g.sectorSize)),
            ("committedSequence", .number(g.committedSequence)),
            ("databaseSource", .path(g.databaseSource.bytes)),
            ("disksPresent", .int(g.presentDiskCount)),
            ("autoImport", .bool(!g.privateHeaderFlags.contains(.noAutoImport))),
            // Extents are read in logical sectors; on 4096-byte disks that
            // reading is not verified against Windows (docs/FORMAT.md).
            ("extentUnits", .string("logical-sector")),
            ("extentUnitsVerified", .bool(g.sectorSize == 512)),
            ("disks", .array(g.disks.map(disk))),
            ("volumes", .array(g.volumes.map { volume($0, g) })),
            // Notes are display text already (paths in them escaped once).
            ("notes", .array(g.notes.map(JSON.string))),
        ])
    }

    static func disk(_ d: Disk) -> JSON {
        let loc = d.location
        return .object([
            ("name", .string(d.name.display)),
            ("guid", .string(d.guid.text)),
            ("present", .bool(d.isPresent)),
            ("flags", .array(d.flags.words.map(JSON.string))),
            // The path exactly: JSON-escaped once, never display-escaped.
            ("device", loc.map { JSON.path($0.device.bytes) } ?? .null),
            ("partitionStyle", .optional(loc?.partitionStyle.rawValue)),
            ("dataStart", .optional(loc?.dataStart)),
            ("dataSize", .optional(loc?.dataSize)),
            ("databaseStart", .optional(loc?.databaseStart)),
            ("regions", .array(d.regions.map { r in
                .object([
                    ("start", .number(r.start)),
                    ("size", .number(r.size)),
                    ("free", .bool(r.partitionName == nil)),
                    ("partition", .optional(r.partitionName?.display)),
                    ("volume", .optional(r.volumeName?.display)),
                ])
            })),
        ])
    }

    static func volume(_ v: Volume, _ g: DiskGroup) -> JSON {
        let bytes = UInt64(g.sectorSize)
        var parts: [JSON] = []
        for (plex, c) in v.components.enumerated() {
            for p in c.partitions {
                let disk = g.disk(id: p.diskID)
                parts.append(.object([
                    ("name", .string(p.name.display)),
                    ("disk", .string(disk?.name.display ?? "")),
                    ("diskPresent", .bool(disk?.isPresent ?? false)),
                    ("plex", .int(plex)),
                    ("column", .number(p.column)),
                    ("start", .number(p.start)),
                    ("size", .number(p.size)),
                    ("volumeOffset", .number(p.volumeOffset)),
                    ("outOfDate", .optional(p.outOfDate)),
                ]))
            }
        }
        return .object([
            ("name", .string(v.name.display)),
            ("guid", .optional(v.guid?.text)),
            ("type", .string(v.type.rawValue)),
            ("sizeBytes", .number(v.size * bytes)),
            ("sizeSectors", .number(v.size)),
            ("chunkSizeBytes", .number(v.chunkSize * bytes)),
            ("driveHint", .optional(v.driveHint?.display)),
            ("partitionType", .int(Int(v.partitionType))),
            ("state", .string(v.state.rawValue)),
            ("flags", .array(v.flags.words.map(JSON.string))),
            ("recordState", .string(v.recordState.display)),
            ("partitions", .array(parts)),
        ])
    }

    /// What `show` prints for one group; every name from disk is escaped.
    static func text(_ g: DiskGroup) -> String {
        var out = ""
        func print(_ line: String) { out += line + "\n" }
        let scale = UInt64(g.sectorSize)
        var title = "Disk group \(g.name.display)  \(g.guid)  \(g.presentDiskCount) of \(g.disks.count) disks present"
        if g.cloneIndex > 0 { title += "  (clone \(g.cloneIndex): another set of disks carries the same group)" }
        print(title)
        if g.sectorSize != 512 {
            print("  \(g.sectorSize)-byte sectors: extents read in logical sectors, as libldm reads them; not verified against Windows, so table and activate refuse this group without --4kn-extents logical")
        }
        if g.privateHeaderFlags.contains(.noAutoImport) {
            print("  Windows marks this group not to be imported automatically: hotplug and boot leave it alone")
        }
        for n in g.notes { print("  note: \(n)") }
        for d in g.disks {
            let flags = d.flags.words.isEmpty ? "" : "  [\(d.flags.words.joined(separator: ", "))]"
            if let loc = d.location {
                print("  Disk \(d.name.display)  \(d.guid)  \(loc.device.display)  \(loc.partitionStyle.rawValue), data \(loc.dataStart)+\(loc.dataSize), database \(loc.databaseStart)\(flags)")
            } else {
                print("  Disk \(d.name.display)  \(d.guid)  MISSING\(flags)")
            }
            for r in d.regions {
                let what = r.partitionName.map { "\($0.display) (volume \(r.volumeName?.display ?? "?"))" } ?? "free"
                print("    \(r.start)+\(r.size)  \(what)")
            }
        }
        for v in g.volumes {
            var line = "  Volume \(v.name.display)  \(v.type.rawValue)  \(humanSize(v.size * scale))  \(v.state.rawValue)"
            if v.chunkSize > 0 { line += "  chunk \(humanSize(v.chunkSize * scale))" }
            if let hint = v.driveHint { line += "  hint \(hint.display)" }
            if let guid = v.guid { line += "  \(guid)" }
            if !v.flags.words.isEmpty { line += "  [\(v.flags.words.joined(separator: ", "))]" }
            if v.recordState.display != "ACTIVE" { line += "  record state \(v.recordState.display)" }
            print(line)
            for (plex, c) in v.components.enumerated() {
                for p in c.partitions {
                    let disk = g.disk(id: p.diskID)
                    var where_ = "on \(disk?.name.display ?? "?")\(disk?.isPresent == true ? "" : " (missing)")"
                    if v.type == .mirrored { where_ += ", plex \(plex)" }
                    if v.type == .striped || v.type == .raid5 { where_ += ", column \(p.column)" }
                    print("    \(p.name.display)  \(where_)  start \(p.start)  size \(p.size)  offset \(p.volumeOffset)")
                    if let why = p.outOfDate { print("      out of date, not read: \(why)") }
                }
            }
        }
        return out
    }
}

func humanSize(_ bytes: UInt64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes), unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    if unit == 0 { return "\(bytes) B" }
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) \(units[unit])"
}
