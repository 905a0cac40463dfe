/// Where Windows was when a change to the database was cut short: before
/// its commit point (VMDB update status 2) or after it (status 3).
public enum ChangePhase: UInt16, Sendable {
    case beforeCommit = 2
    case afterCommit = 3
}

extension DiskImage {
    /// Rewrites this disk's database as Windows leaves it when a change that
    /// creates the volumes `adding` and deletes the volumes `removing` is cut
    /// short in `phase`: the records of added volumes (with their components
    /// and partitions) get record status 2, not yet active; those of removed
    /// volumes status 1, about to be deleted; the VMDB gets the phase as its
    /// update status, a pending sequence one above the committed one, and
    /// the counts before (committed) and after (pending) the change. Write
    /// the image with every volume of both sides in its spec.
    public mutating func interruptChange(adding: Set<String>, removing: Set<String>, phase: ChangePhase) {
        let db = layout.database
        var owner: String?
        var committed = [Int](repeating: 0, count: 4), pending = committed
        let index = ["volume": 0, "component": 1, "partition": 2, "disk": 3]
        for slot in db.slots where slot.fragment == 0 {
            guard let kind = slot.kind else { continue }
            if kind == "volume" { owner = slot.objectName }
            let inVolume = ["volume", "component", "partition"].contains(kind) ? owner : nil
            let status: UInt16 = inVolume.map { adding.contains($0) ? 2 : removing.contains($0) ? 1 : 0 } ?? 0
            if status != 0 { patch(at: slot.offset + 0x10, bytes: [0, UInt8(status)]) }
            if let i = index[kind] {
                if status != 2 { committed[i] += 1 }
                if status != 1 { pending[i] += 1 }
            }
        }
        let vmdb = read(at: db.vmdb, count: 0x85, includeContent: false)
        let sequence = vmdb[0x75..<0x7D].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        var header = ImageBuffer(count: 2)
        header.be16(phase.rawValue, at: 0)
        patch(at: db.vmdb + 0x10, bytes: header.bytes)
        var ids = ImageBuffer(count: 8)
        ids.be64(sequence + 1, at: 0)
        patch(at: db.vmdb + 0x7D, bytes: ids.bytes)
        // Step 3, the commit logged in the KLOG, comes before the VMDB's
        // status 3; before the commit point it may not have happened yet.
        if phase == .afterCommit {
            patch(at: db.klog + 0x18, bytes: DatabaseWriter.klogEntry(status: 3, committed: sequence, pending: sequence + 1))
        }
        for (base, counts) in [(UInt64(0x85), committed), (UInt64(0xA1), pending)] {
            var b = ImageBuffer(count: 16)
            for (i, n) in counts.enumerated() { b.be32(UInt32(n), at: 4 * i) }
            patch(at: db.vmdb + base, bytes: b.bytes)
        }
    }
}
