import LDM

/// One member disk's copy of the group's database, as raw bytes: the VMDB
/// and its slot area, and the first sector of the KLOG. The transaction
/// writer changes these bytes step by step and writes the sectors that
/// changed; nothing outside them is ever written.
public struct MemberDatabase: Sendable {
    public let device: DevicePath
    public let diskName: LDMName
    public let diskID: UInt64
    public let sectorSize: Int
    /// The whole 1 MiB database (PRIVHEAD config start and size), in sectors:
    /// every write must fall inside it.
    public let databaseStart: UInt64
    public let databaseSectors: UInt64
    /// First sector of the VMDB; `config` starts there.
    public let vmdbLBA: UInt64
    /// VMDB and slots, up to the last slot the VMDB counts (whole sectors).
    public var config: [UInt8]
    /// First sector of the `log` region (KLOG page 0 starts there).
    public let klogLBA: UInt64
    public var klog: [UInt8]

    /// The slot geometry, as the reader parsed and checked it from this
    /// VMDB (a change never alters it).
    public let vblkSize: Int
    public let firstSlot: Int
    public let slotCount: Int
    public var updateStatus: UInt16 { be16(config, 0x10) }
    public var committedID: UInt64 { be64(config, 0x75) }
    public var pendingID: UInt64 { be64(config, 0x7D) }

    /// Reads the database of `metadata`'s disk from `source`.
    public static func read(_ metadata: DiskMetadata, disk: Disk, from source: some SectorSource) throws -> MemberDatabase {
        let ss = UInt64(metadata.sectorSize)
        let header = metadata.privateHeader
        let vmdbLBA = header.configStart + metadata.toc.configStart
        let slotBytes = UInt64(metadata.vmdb.lastSequence) * UInt64(metadata.vmdb.vblkSize)
        let configSectors = (slotBytes + ss - 1) / ss
        let klogLBA = header.configStart + metadata.toc.logStart
        // The reader checked the regions against the database; check again
        // what is written here.
        guard metadata.toc.configStart + configSectors <= header.configSize,
              metadata.toc.logStart < header.configSize, metadata.toc.logSize > 0 else {
            throw EditError("\(source.displayName): the TOCBLOCK places the config or log region outside the database")
        }
        do {
            let config = try source.read(at: vmdbLBA * ss, count: Int(configSectors * ss))
            let klog = try source.read(at: klogLBA * ss, count: Int(ss))
            let vmdb = metadata.vmdb
            let first = Int(vmdb.firstVBLKOffset / vmdb.vblkSize), count = Int(vmdb.lastSequence)
            var db = MemberDatabase(device: source.path, diskName: disk.name, diskID: disk.id, sectorSize: metadata.sectorSize,
                                    databaseStart: header.configStart, databaseSectors: header.configSize,
                                    vmdbLBA: vmdbLBA, config: config, klogLBA: klogLBA, klog: klog,
                                    vblkSize: Int(vmdb.vblkSize), firstSlot: first, slotCount: max(first, count))
            db.slots = (db.firstSlot..<db.slotCount).map(db.slot)
            return db
        } catch {
            throw EditError("\(source.displayName): reading the database failed: \(error)")
        }
    }

    // MARK: Slots

    /// The header of one VBLK slot.
    public struct Slot: Equatable, Sendable {
        public var sequence: Int
        public var groupNumber: UInt32
        public var fragment: Int
        public var fragments: Int
        /// Record status and object id: read from the first fragment only.
        public var status: UInt16?
        public var objectID: UInt64?
        public var isFree: Bool { fragments == 0 }
    }

    public func slotOffset(_ sequence: Int) -> Int { sequence * vblkSize }

    public func slot(_ sequence: Int) -> Slot {
        let o = slotOffset(sequence)
        let fragment = Int(be16(config, o + 12)), count = Int(be16(config, o + 14))
        var s = Slot(sequence: sequence, groupNumber: be32(config, o + 8), fragment: fragment, fragments: count)
        if count > 0, fragment == 0 {
            s.status = be16(config, o + 0x10)
            // The body starts at 0x18 with the object id as a vnum.
            let length = Int(config[o + 0x18])
            if (1...8).contains(length), o + 0x19 + length <= o + vblkSize {
                s.objectID = config[(o + 0x19)..<(o + 0x19 + length)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            }
        }
        return s
    }

    /// Every slot's header as read (edits to `config` do not update it).
    public internal(set) var slots: [Slot] = []

    /// The slots (first fragment first) holding the record with `objectID`;
    /// empty when there is no such record, or when its fragments cannot be
    /// told apart from another record's (then nothing is changed: clearing
    /// a slot that is not the record's would destroy another record).
    public func slots(ofObject objectID: UInt64) -> [Int] {
        let heads = slots.filter { $0.objectID == objectID }
        guard heads.count == 1, let first = heads.first else { return [] }
        guard first.fragments > 1 else { return [first.sequence] }
        let parts = slots.filter { !$0.isFree && $0.groupNumber == first.groupNumber }
        guard parts.count == first.fragments, parts.allSatisfy({ $0.fragments == first.fragments }),
              Set(parts.map(\.fragment)) == Set(0..<first.fragments) else { return [] }
        return parts.sorted { $0.fragment < $1.fragment }.map(\.sequence)
    }

    /// The record bytes from offset 0x10 (status, flags, type, size, body)
    /// of the record with `objectID`, joined from its fragments.
    public func payload(ofObject objectID: UInt64) -> [UInt8]? {
        let parts = slots(ofObject: objectID)
        guard !parts.isEmpty else { return nil }
        var joined: [UInt8] = []
        for s in parts { joined += config[(slotOffset(s) + 16)..<(slotOffset(s) + vblkSize)] }
        let bodySize = Int(be32(joined, 4))
        guard 8 + bodySize <= joined.count else { return nil }
        return Array(joined[0..<(8 + bodySize)])
    }
}

func be16(_ b: [UInt8], _ o: Int) -> UInt16 { UInt16(b[o]) << 8 | UInt16(b[o + 1]) }
func be32(_ b: [UInt8], _ o: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(b[o + $1]) } }
func be64(_ b: [UInt8], _ o: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(b[o + $1]) } }
func putBE(_ value: UInt64, width: Int, into b: inout [UInt8], at o: Int) {
    for i in 0..<width { b[o + i] = UInt8((value >> (8 * UInt64(width - 1 - i))) & 0xFF) }
}
