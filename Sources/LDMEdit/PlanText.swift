import LDM

/// A change as text for the terminal: the volume and its partitions, the
/// records added and retired, and every sector the transaction writes,
/// per disk with its byte offset. With `bytes`, each write also shows the
/// bytes that differ from what the sector held before it (exactly what
/// would be written, the rest of the sector being rewritten unchanged).
public enum PlanText {
    public static func render(_ t: Transaction, group g: EditableGroup, bytes: Bool) -> String {
        let p = t.plan
        let ss = UInt64(g.group.sectorSize)
        var out: [String] = []
        let verb = p.action == .create ? "create" : "delete"
        var head = "\(verb) \(p.type.rawValue) volume \(p.volume.display) in disk group \(p.group.display) (\(g.group.guid)): \(p.volumeSize) sectors (\(mib(p.volumeSize * ss)))"
        if p.chunkSize > 0 { head += ", chunk \(p.chunkSize * ss / 1024) KiB" }
        if let h = p.driveHint { head += ", drive hint \(LDMName(h).display)" }
        out.append(head)
        for e in p.extents {
            let role = p.type == .mirrored ? "plex \(e.position)" : p.type == .striped || p.type == .raid5 ? "column \(e.position)" : "part \(e.position)"
            out.append("  \(e.partition.display)  on \(e.disk.display), \(role)  start \(e.start)  size \(e.size)  (\(mib(e.size * ss)))")
        }
        out.append("transaction: committed id \(p.committedID) -> \(p.pendingID)")
        for r in p.newRecords {
            let changed = p.retiredIDs.contains(r.objectID)
            out.append("  \(changed ? "rewrite" : "add") \(r.kind) \(LDMName(r.name).display) (object id \(r.objectID)\(changed ? ", commit id \(p.pendingID)" : ""))")
        }
        let rewritten = Set(p.newRecords.map(\.objectID))
        for id in p.retiredIDs where !rewritten.contains(id) { out.append("  remove object id \(id)\(name(of: id, g.group).map { " (\($0))" } ?? "")") }
        let kinds = ["volumes", "components", "partitions", "disks"]
        out.append("  record counts: " + (0..<4).map { "\(kinds[$0]) \(p.countsBefore[$0]) -> \(p.countsAfter[$0])" }.joined(separator: ", "))
        out.append("sector writes: \(t.writeCount) in 6 steps, each on every disk before the next")
        // What each sector holds before the write being shown.
        var current: [String: [UInt8]] = [:]
        func initial(_ w: SectorWrite) -> [UInt8] {
            guard let m = g.members.first(where: { $0.device == w.device }) else { return [] }
            if w.lba == m.klogLBA { return m.klog }
            let from = Int(w.lba - m.vmdbLBA) * m.sectorSize
            return Array(m.config[from..<from + w.bytes.count])
        }
        for step in t.steps {
            out.append("  step \(step.number): \(step.title)")
            for w in step.writes {
                let size = UInt64(w.bytes.count)
                out.append("    \(w.device.display)  sector \(w.lba)  byte offset \(w.lba * size)  \(w.what)")
                guard bytes else { continue }
                let key = "\(w.device.display)@\(w.lba)"
                let before = current[key] ?? initial(w)
                for run in differingRuns(before, w.bytes) {
                    out.append("      +0x\(String(run.lowerBound, radix: 16)): " + w.bytes[run].map(hex2).joined(separator: " "))
                }
                current[key] = w.bytes
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    static func name(of id: UInt64, _ g: DiskGroup) -> String? {
        for v in g.volumes {
            if v.id == id { return "volume \(v.name.display)" }
            for c in v.components where c.id == id { return "component \(c.name.display)" }
            for p in v.partitions where p.id == id { return "partition \(p.name.display)" }
        }
        return g.disk(id: id).map { "disk \($0.name.display)" }
    }

    /// Byte ranges where `a` and `b` differ, runs closer than 8 bytes joined.
    static func differingRuns(_ a: [UInt8], _ b: [UInt8]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        for i in b.indices where i >= a.count || a[i] != b[i] {
            if let last = runs.last, i - last.upperBound < 8 { runs[runs.count - 1] = last.lowerBound..<(i + 1) } else { runs.append(i..<(i + 1)) }
        }
        return runs
    }

    static func hex2(_ b: UInt8) -> String { (b < 16 ? "0" : "") + String(b, radix: 16) }

    static func mib(_ bytes: UInt64) -> String {
        let tenths = bytes * 10 / (1 << 20)
        return "\(tenths / 10).\(tenths % 10) MiB"
    }
}
