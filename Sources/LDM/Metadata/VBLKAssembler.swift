/// Walks the VBLK slots of a VMDB, joins records split over several
/// fragments, and decodes each record. Slots are fed in order, a chunk at
/// a time, so the reader can stop as soon as every record the VMDB counts
/// has been seen instead of reading the whole slot area (Windows sizes it
/// for thousands of slots and uses a few dozen).
struct VBLKAssembler {
    static let magic = Array("VBLK".utf8)
    static let headerSize = 16
    /// The format allows a record at most four fragments (the kernel's limit too).
    static let maxFragments = 4

    private struct Pending {
        var count: Int
        var firstSlot: Int
        var parts: [[UInt8]?]
    }

    let vmdb: VMDB
    let device: String
    /// Which record statuses belong to the configuration.
    let change: ChangeState
    private let expected: [UInt32]
    /// Records left out because an unfinished change added or retired them.
    private(set) var setAside = 0
    /// With a change rolled back: the records as they would be rolled
    /// forward instead (status 0 and 2), in slot order, for when another disk
    /// of the group shows the change past its commit point.
    private var forward: [(slot: Int, record: VBLKRecord)] = []
    private(set) var nextSlot: Int
    private var pending: [UInt32: Pending] = [:]
    private var found: [(slot: Int, record: VBLKRecord)] = []
    private var counts = [Int](repeating: 0, count: 6)

    init(vmdb: VMDB, device: String, change: ChangeState = .consistent) {
        self.vmdb = vmdb
        self.device = device
        self.change = change
        self.expected = change.expectedCounts(vmdb)
        self.nextSlot = Int(vmdb.firstVBLKOffset / vmdb.vblkSize)
    }

    var slotCount: Int { Int(vmdb.lastSequence) }
    var isAtEnd: Bool { nextSlot >= slotCount }

    /// True once every record the VMDB counts (and the group record) is in
    /// and no record waits for a fragment.
    var hasEverything: Bool {
        // With a change in flight, read every slot: both sides are needed.
        change == .consistent && pending.isEmpty && counts[5] >= 1
            && counts[1] >= Int(expected[0]) && counts[2] >= Int(expected[1])
            && counts[3] >= Int(expected[2]) && counts[4] >= Int(expected[3])
    }

    func fail(_ slot: Int, _ field: String?, _ problem: String) -> LDMError {
        LDMError(.invalid, device: device, location: "VBLK slot \(slot)", field: field, problem)
    }

    /// Consumes whole slots from `bytes`, which hold slots starting at
    /// `nextSlot`.
    mutating func feed(_ bytes: ArraySlice<UInt8>) throws {
        let size = Int(vmdb.vblkSize)
        var base = bytes.startIndex
        while base + size <= bytes.endIndex, nextSlot < slotCount {
            try slot(Array(bytes[base..<base + size]), nextSlot)
            base += size
            nextSlot += 1
        }
    }

    private mutating func slot(_ bytes: [UInt8], _ slot: Int) throws {
        guard bytes[0] == 0x56, bytes[1] == 0x42, bytes[2] == 0x4C, bytes[3] == 0x4B else {  // "VBLK"
            throw fail(slot, "magic", "no \"VBLK\" signature inside the \(slotCount) slots the VMDB claims")
        }
        var c = ByteCursor(bytes, offset: 4)
        // A slot holds at least 32 bytes (VMDB.parse checked), so these reads cannot fail.
        let sequence = try c.u32()
        let recordID = try c.u32()
        let index = Int(try c.u16())
        let count = Int(try c.u16())
        guard sequence == UInt32(slot) else {
            throw fail(slot, "sequence", "slot carries sequence \(sequence), expected \(slot)")
        }
        switch count {
        case 0:
            return                                   // unused slot
        case 1:
            guard index == 0 else { throw fail(slot, "fragment index", "index \(index) of a 1-fragment record") }
            try decode(bytes, slot)
        case 2...Self.maxFragments:
            guard index < count else { throw fail(slot, "fragment index", "index \(index) is not below the count \(count)") }
            var p = pending[recordID] ?? Pending(count: count, firstSlot: slot, parts: Array(repeating: nil, count: count))
            guard p.count == count else {
                throw fail(slot, "fragment count", "record \(recordID) has fragments claiming \(p.count) and \(count) parts")
            }
            guard p.parts[index] == nil else { throw fail(slot, "fragment index", "record \(recordID) has fragment \(index) twice") }
            p.parts[index] = bytes
            if p.parts.allSatisfy({ $0 != nil }) {
                pending[recordID] = nil
                // The first fragment's header, then every fragment's data part.
                var joined = Array(p.parts[0]![0..<Self.headerSize])
                for part in p.parts { joined += part![Self.headerSize...] }
                try decode(joined, p.firstSlot)
            } else {
                pending[recordID] = p
            }
        default:
            throw fail(slot, "fragment count", "\(count) fragments; at most \(Self.maxFragments) are allowed")
        }
    }

    private mutating func decode(_ bytes: [UInt8], _ slot: Int) throws {
        // Record status (0x10): 0 active, 1 about to be deleted, 2 not yet
        // active; which of them count depends on where a change stopped.
        let status = UInt16(bytes[0x10]) << 8 | UInt16(bytes[0x11])
        guard status <= ChangeState.pendingActivation else {
            throw fail(slot, "record status", "status \(status) is not 0 (active), 1 (about to be deleted) or 2 (not yet active)")
        }
        do {
            guard let record = try VBLKParser.parse(bytes) else { return }
            if case .rolledBack = change, status != ChangeState.activePendingDeletion { forward.append((slot, record)) }
            guard change.keeps(status) else {
                setAside += 1
                return
            }
            found.append((slot, record))
            switch record {
            case .volume: counts[1] += 1
            case .component: counts[2] += 1
            case .partition: counts[3] += 1
            case .disk: counts[4] += 1
            case .diskGroup: counts[5] += 1
            }
        } catch let f as VBLKParser.Failure {
            throw LDMError(f.unsupported ? .unsupported : .invalid, device: device,
                           location: "VBLK slot \(slot)", field: f.field, f.problem)
        }
    }

    /// The records in slot order; fails if a split record is incomplete.
    func finish() throws -> [VBLKRecord] {
        // A record cut short by a change Windows did not finish: its first
        // slot (which carries the status) is there and says the record is
        // not part of the configuration read (not yet active before the
        // commit point, about to be deleted after it). Windows writes and
        // deletes such records slot by slot, so a crash can leave part of
        // one; it is left out like the whole record would be.
        let incomplete = pending.filter { _, p in
            guard let first = p.parts[0] else { return true }
            return change.keeps(UInt16(first[0x10]) << 8 | UInt16(first[0x11]))
        }
        if let (id, p) = incomplete.min(by: { $0.value.firstSlot < $1.value.firstSlot }) {
            let missing = p.parts.indices.filter { p.parts[$0] == nil }
            throw fail(p.firstSlot, "fragments", "record \(id) is missing fragment(s) \(missing.map(String.init).joined(separator: ", ")) of \(p.count)")
        }
        return found.sorted { $0.slot < $1.slot }.map(\.record)
    }

    /// The rolled-forward records, when the change was rolled back.
    var forwardRecords: [VBLKRecord]? {
        guard case .rolledBack = change else { return nil }
        return forward.sorted { $0.slot < $1.slot }.map(\.record)
    }
}
