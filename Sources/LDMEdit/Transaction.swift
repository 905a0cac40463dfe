#if canImport(Glibc)
import Glibc
#endif
import LDM
import LDMWriter

/// A change as the sector writes that make it, in Windows' six steps
/// (DiskAccessLibrary `VolumeManagerDatabase.UpdateDatabase`, "as
/// performed by Windows"), each step on every member before the next:
///
/// 1. new records into free slots with record status 2 (not yet active);
///    the records they retire get status 1 (about to be deleted), in place;
/// 2. VMDB: update status 2, the pending id and the pending counts;
/// 3. KLOG page 0: its last entry becomes (commit, old committed id, pending id);
/// 4. VMDB: update status 3, the commit point;
/// 5. the retired records' slots are cleared, the new records get status 0;
/// 6. VMDB: update status 1, committed id = pending id, committed counts.
///
/// A change cut short before step 4 reads as the old configuration, after
/// it as the new one (the reader's roll back / roll forward). Sectors are
/// written one at a time; where a record spans several slots, step 1
/// writes its first slot (which carries its status) first and step 5
/// clears it last, so a half-written record always shows a status that
/// says it is not part of the configuration read.
public struct Transaction: Sendable {
    public struct Step: Sendable {
        public var number: Int
        public var title: String
        public var writes: [SectorWrite]
    }

    public let plan: ChangePlan
    public let steps: [Step]
    let sectorSizes: [DevicePath: Int]

    public var writeCount: Int { steps.reduce(0) { $0 + $1.writes.count } }

    public init(_ g: EditableGroup, _ plan: ChangePlan) throws(EditError) {
        self.plan = plan
        var steps = [Step](repeating: Step(number: 0, title: "", writes: []), count: 6)
        let titles = ["write the new records (status 2) and mark the retired ones (status 1)",
                      "VMDB: update status 2 (change), pending id and counts",
                      "KLOG: log the commit",
                      "VMDB: update status 3 (commit point)",
                      "clear the retired records' slots, activate the new records (status 0)",
                      "VMDB: update status 1 (clean), committed id and counts"]
        for i in 0..<6 { steps[i].number = i + 1; steps[i].title = titles[i] }
        var sizes: [DevicePath: Int] = [:]
        for member in g.members {
            var m = MemberEdit(member)
            sizes[member.device] = member.sectorSize
            let retired = try m.retiredSlots(plan.retiredIDs)
            let placed = try m.placeNewRecords(plan.newRecords)
            // 1
            for r in retired { steps[0].writes += m.change("VBLK slot \(r[0]) (retire)") { $0.setStatus(slot: r[0], 1) } }
            for p in placed {
                for (f, seq) in p.slots.enumerated() {
                    steps[0].writes += m.change("VBLK slot \(seq) (\(p.record.kind) \(p.record.name), fragment \(f + 1) of \(p.slots.count))") {
                        $0.putSlot(p.record, status: 2, sequence: seq, group: p.group, fragment: f, of: p.slots.count)
                    }
                }
            }
            // 2
            steps[1].writes += m.change("VMDB") {
                $0.vmdb(status: 2)
                $0.vmdb(pending: plan.pendingID, counts: plan.countsAfter)
            }
            // 3
            steps[2].writes += try m.changeKLOG(committed: plan.committedID, pending: plan.pendingID)
            // 4
            steps[3].writes += m.change("VMDB") { $0.vmdb(status: 3) }
            // 5
            for r in retired {
                for seq in r.reversed() {
                    steps[4].writes += m.change("VBLK slot \(seq) (clear)") { $0.clearSlot(seq) }
                }
            }
            for p in placed {
                steps[4].writes += m.change("VBLK slot \(p.slots[0]) (activate \(p.record.kind) \(p.record.name))") {
                    $0.setStatus(slot: p.slots[0], 0)
                }
            }
            // 6
            steps[5].writes += m.change("VMDB") {
                $0.vmdb(status: 1)
                $0.vmdb(committed: plan.pendingID, counts: plan.countsAfter)
            }
        }
        // Nothing outside the database area, ever.
        for w in steps.flatMap(\.writes) {
            let m = g.members.first { $0.device == w.device }!
            let sectors = UInt64(w.bytes.count / m.sectorSize)
            guard w.lba >= m.databaseStart, w.lba + sectors <= m.databaseStart + m.databaseSectors else {
                throw EditError("\(w.device): \(w.what) at sector \(w.lba) lies outside the database (sectors \(m.databaseStart)..+\(m.databaseSectors)); refusing to write")
            }
        }
        self.steps = steps
        self.sectorSizes = sizes
    }

    /// Writes every step; returns after the last write or throws the first
    /// error (later writes are not attempted).
    public func run<W: SectorWriter>(_ writer: inout W) throws {
        for step in steps {
            for w in step.writes { try writer.write(w, sectorSize: sectorSizes[w.device]!) }
        }
    }
}

/// One member's database bytes while the steps are applied to them; each
/// change returns the sectors it altered.
struct MemberEdit {
    var db: MemberDatabase

    init(_ db: MemberDatabase) { self.db = db }

    struct Placed {
        var record: LiveRecords.Encoded
        var group: UInt32
        var slots: [Int]
    }

    /// The slots of each retired record, first fragment first.
    func retiredSlots(_ ids: [UInt64]) throws(EditError) -> [[Int]] {
        try ids.map { (id: UInt64) throws(EditError) -> [Int] in
            let s = db.slots(ofObject: id)
            guard !s.isEmpty else { throw EditError("\(db.device): no record with object id \(id) in the database") }
            return s
        }
    }

    /// Free slots (lowest first) and unused group numbers (lowest first,
    /// from 1) for the new records, as DiskAccessLibrary allocates them.
    func placeNewRecords(_ records: [LiveRecords.Encoded]) throws(EditError) -> [Placed] {
        let slots = db.slots
        var free = slots.filter(\.isFree).map(\.sequence)[...]
        var groups = Set(slots.filter { !$0.isFree }.map(\.groupNumber))
        var out: [Placed] = []
        for r in records {
            let n = r.fragmentCount(vblkSize: db.vblkSize)
            guard free.count >= n else {
                throw EditError("\(db.device): the database has no free slots left for \(r.kind) \(r.name)")
            }
            let group = (1...UInt32.max).first { !groups.contains($0) }!
            groups.insert(group)
            out.append(Placed(record: r, group: group, slots: Array(free.prefix(n))))
            free = free.dropFirst(n)
        }
        return out
    }

    /// Applies `edit` and returns the sectors it changed, lowest first.
    mutating func change(_ what: String, _ edit: (inout MemberDatabase) -> Void) -> [SectorWrite] {
        let before = db.config
        edit(&db)
        let ss = db.sectorSize
        var writes: [SectorWrite] = []
        let changed = before.withUnsafeBytes { a in
            db.config.withUnsafeBytes { b in
                (0..<(a.count / ss)).filter { memcmp(a.baseAddress! + $0 * ss, b.baseAddress! + $0 * ss, ss) != 0 }
            }
        }
        for s in changed {
            writes.append(SectorWrite(device: db.device, lba: db.vmdbLBA + UInt64(s),
                                      bytes: Array(db.config[s * ss..<(s + 1) * ss]), what: what))
        }
        return writes
    }

    /// Step 3: page 0's last entry replaced by a commit entry (the first
    /// entry when the page has none), as DiskAccessLibrary's `SetLastEntry`.
    mutating func changeKLOG(committed: UInt64, pending: UInt64) throws(EditError) -> [SectorWrite] {
        guard db.klog.count >= 512, Array(db.klog[0..<4]) == Array("KLOG".utf8) else {
            throw EditError("\(db.device): no KLOG page at the start of the log region (sector \(db.klogLBA)); refusing to write")
        }
        let slots = (512 - 0x18) / 24
        let used = (0..<slots).first { db.klog[0x18 + 24 * $0] == 0 } ?? slots
        let at = 0x18 + 24 * max(used - 1, 0)
        var entry = [UInt8](repeating: 0, count: 24)
        entry[0] = 3
        putBE(committed, width: 8, into: &entry, at: 1)
        putBE(pending, width: 8, into: &entry, at: 9)
        db.klog.replaceSubrange(at..<at + 24, with: entry)
        return [SectorWrite(device: db.device, lba: db.klogLBA, bytes: db.klog, what: "KLOG page 0")]
    }
}

extension MemberDatabase {
    mutating func setStatus(slot: Int, _ status: UInt16) {
        putBE(UInt64(status), width: 2, into: &config, at: slotOffset(slot) + 0x10)
    }

    mutating func putSlot(_ r: LiveRecords.Encoded, status: UInt16, sequence: Int, group: UInt32, fragment: Int, of count: Int) {
        var record = r
        putBE(UInt64(status), width: 2, into: &record.payload, at: 0)
        let bytes = record.slot(sequence: UInt32(sequence), groupNumber: group, fragment: fragment, of: count, vblkSize: vblkSize)
        config.replaceSubrange(slotOffset(sequence)..<slotOffset(sequence) + vblkSize, with: bytes)
    }

    mutating func clearSlot(_ sequence: Int) {
        config.replaceSubrange(slotOffset(sequence)..<slotOffset(sequence) + vblkSize,
                               with: LiveRecords.emptySlot(sequence: UInt32(sequence), vblkSize: vblkSize))
    }

    mutating func vmdb(status: UInt16) { putBE(UInt64(status), width: 2, into: &config, at: 0x10) }

    mutating func vmdb(pending: UInt64, counts: [UInt32]) {
        putBE(pending, width: 8, into: &config, at: 0x7D)
        for (i, c) in counts.enumerated() { putBE(UInt64(c), width: 4, into: &config, at: 0xA1 + 4 * i) }
    }

    mutating func vmdb(committed: UInt64, counts: [UInt32]) {
        putBE(committed, width: 8, into: &config, at: 0x75)
        for (i, c) in counts.enumerated() { putBE(UInt64(c), width: 4, into: &config, at: 0x85 + 4 * i) }
    }
}
