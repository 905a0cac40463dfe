/// The LDM structures of one disk: PRIVHEAD (three copies), TOCBLOCK (four
/// copies), VMDB and VBLK slots. Offsets here are in bytes from the start of
/// the disk.
struct DatabaseWriter {
    /// Where the 2003 images keep the VMDB: database sector 17.
    static let vmdbSector: UInt64 = 17
    /// PRIVHEAD backup at 512-byte database sector 1856 (and the last sector).
    static let privheadBackup512: UInt64 = 1856
    /// Config and log area sizes of the 2003 images, in 512-byte units.
    static let configArea512: UInt64 = 1481
    static let logArea512: UInt64 = 224
    /// VBLKs start 512 bytes after the VMDB.
    static let firstSlotOffset = 512
    /// A fixed timestamp (2024-01-01 as a FILETIME) so images are reproducible.
    static let timestamp: UInt64 = (1_704_067_200 + 11_644_473_600) * 10_000_000

    let group: PlannedGroup
    let records: [VBLKEncoder.Record]

    init(group: PlannedGroup) throws(ImageWriterError) {
        self.group = group
        records = VBLKEncoder.records(for: group)
        let limit = VBLKEncoder.maxFragments * (group.vblkSize - 16)
        for r in records where r.payload.count > limit {
            throw .recordTooLarge(object: r.name, bytes: r.payload.count, limit: limit)
        }
    }

    /// Slots in use plus the empty ones that finish the last 512-byte sector.
    var slotCount: Int {
        let used = records.reduce(0) { $0 + VBLKEncoder.fragmentCount($1, vblkSize: group.vblkSize) } + max(group.spareSlots, 0)
        let perSector = 512 / group.vblkSize
        let first = DatabaseWriter.firstSlotOffset / group.vblkSize
        let last = (first + used + perSector - 1) / perSector * perSector
        return last - first
    }

    /// All structures for one disk, and where they are.
    func structures(for disk: PlannedDisk) -> (pieces: [ImagePiece], layout: DatabaseLayout) {
        let ss = UInt64(disk.sectorSize)
        let dbSectors = disk.configSize
        let base = disk.configStart * ss
        var pieces: [ImagePiece] = []

        // PRIVHEAD: MBR disks carry the primary at sector 6; GPT disks in the
        // last sector of the metadata partition, which is also the last
        // database sector.
        let privhead = privheadSector(disk)
        let backups = [base + DatabaseWriter.privheadBackup512 * 512 / ss * ss, base + (dbSectors - 1) * ss]
        var privheads = disk.partitionStyle == .mbr ? [6 * ss] : []
        privheads += backups
        for off in privheads { pieces.append(ImagePiece(offset: off, bytes: privhead)) }

        // TOCBLOCK at database sectors 1, 2, size-3, size-2.
        let toc = tocblock(disk)
        let tocs = [1, 2, dbSectors - 3, dbSectors - 2].map { base + $0 * ss }
        for off in tocs { pieces.append(ImagePiece(offset: off, bytes: toc)) }

        // VMDB and the slots after it, as one piece.
        let vmdbOffset = base + DatabaseWriter.vmdbSector * ss
        let (blob, slots) = vmdbAndSlots(vmdbOffset: vmdbOffset)
        pieces.append(ImagePiece(offset: vmdbOffset, bytes: blob))

        // The KLOG at the TOCBLOCK's log region, right after the config region.
        let klogOffset = base + (DatabaseWriter.vmdbSector + configAreaSectors(ss).config) * ss
        pieces.append(ImagePiece(offset: klogOffset, bytes: klog(committed: group.sequence)))

        let primary = disk.partitionStyle == .mbr ? 6 * ss : backups[1]
        var layout = DatabaseLayout(primaryPrivhead: primary, privheads: privheads, tocblocks: tocs,
                                    vmdb: vmdbOffset, vblkSize: group.vblkSize, slots: slots)
        layout.klog = klogOffset
        return (pieces, layout)
    }

    /// The kernel update log as the 2003 images hold it: two 512-byte pages,
    /// the first with one entry, the commit (status 3) of the transaction
    /// that made the committed sequence. It holds transaction ids only;
    /// readers need nothing from it.
    func klog(committed: UInt64) -> [UInt8] {
        var pages = ImageBuffer(count: 2 * 512)
        for page in 0..<2 {
            let p = page * 512
            pages.put(Array("KLOG".utf8), at: p)
            pages.be64(committed, at: p + 0x04)   // "unknown" transaction id
            pages.be32(1, at: p + 0x0C)           // log sequence
            pages.be32(2, at: p + 0x10)           // number of pages
            pages.be32(UInt32(page), at: p + 0x14)
        }
        pages.put(DatabaseWriter.klogEntry(status: 3, committed: committed &- 1, pending: committed), at: 0x18)
        return pages.bytes
    }

    /// One 24-byte KLOG entry: status, committed id, pending id.
    static func klogEntry(status: UInt8, committed: UInt64, pending: UInt64) -> [UInt8] {
        var e = ImageBuffer(count: 24)
        e.putByte(status, at: 0)
        e.be64(committed, at: 1)
        e.be64(pending, at: 9)
        return e.bytes
    }

    private func configAreaSectors(_ ss: UInt64) -> (config: UInt64, log: UInt64) {
        let needed = (UInt64(DatabaseWriter.firstSlotOffset + slotCount * group.vblkSize) + ss - 1) / ss
        return (max(DatabaseWriter.configArea512 * 512 / ss, needed), DatabaseWriter.logArea512 * 512 / ss)
    }

    func privheadSector(_ d: PlannedDisk) -> [UInt8] {
        let ss = UInt64(d.sectorSize)
        let (config, log) = configAreaSectors(ss)
        var p = ImageBuffer(count: d.sectorSize)
        p.put(Array("PRIVHEAD".utf8), at: 0x00)
        // 0x08: the checksum, sealed last.
        p.be16(2, at: 0x0C)
        p.be16(UInt16(group.privheadMinor), at: 0x0E)
        p.be64(DatabaseWriter.timestamp, at: 0x10)
        p.be64(1, at: 0x18)  // update sequence number
        // Database-relative sectors of the last and the 1856 PRIVHEAD copies,
        // as the 2003 images have them (2047, 1856).
        p.be64(d.configSize - 1, at: 0x20)
        p.be64(DatabaseWriter.privheadBackup512 * 512 / ss, at: 0x28)
        p.putText(d.guid, at: 0x30, limit: 64)
        p.putText(ImageGUID.derived(["host", group.name]).text, at: 0x70, limit: 64)
        p.putText(group.guid, at: 0xB0, limit: 64)
        p.putText(group.name, at: 0xF0, limit: 31)
        p.be32(UInt32(d.sectorSize), at: 0x10F)  // bytes per sector (512 on the 2003 images)
        p.be32(group.windowsFlags.privateHeader, at: 0x113)
        p.be64(d.dataStart, at: 0x11B)
        p.be64(d.dataSize, at: 0x123)
        p.be64(d.configStart, at: 0x12B)
        p.be64(d.configSize, at: 0x133)
        // The 2003 images hold 1 and 2046 (the first and last TOCBLOCK
        // sectors) here, not a count and a size.
        p.be64(1, at: 0x13B)
        p.be64(d.configSize - 2, at: 0x143)
        p.be32(1, at: 0x14B)  // number of configs
        p.be32(1, at: 0x14F)  // number of logs
        p.be64(config, at: 0x153)
        p.be64(log, at: 0x15B)
        p.be32(d.signature, at: 0x163)
        if group.privheadMinor == 12 {  // disk set GUID (binary), Vista and later
            let set = ImageGUID(group.guid)!.bytes
            p.put(set, at: 0x167)
            p.put(set, at: 0x177)
        }
        return ImageLDMChecksum.sealed(p.bytes)
    }

    func tocblock(_ d: PlannedDisk) -> [UInt8] {
        let ss = UInt64(d.sectorSize)
        let (config, log) = configAreaSectors(ss)
        var t = ImageBuffer(count: d.sectorSize)
        t.put(Array("TOCBLOCK".utf8), at: 0x00)
        // 0x08: the checksum, sealed last.
        t.be64(1, at: 0x0C)  // update sequence
        t.putText("config", at: 0x24, limit: 8)
        t.be64(DatabaseWriter.vmdbSector, at: 0x2E)
        t.be64(config, at: 0x36)
        t.be64(0x0006_0001_0000_0000, at: 0x3E)  // flags as on the 2003 images
        t.putText("log", at: 0x46, limit: 8)
        t.be64(DatabaseWriter.vmdbSector + config, at: 0x50)
        t.be64(log, at: 0x58)
        t.be64(0x0006_0001_0000_0000, at: 0x60)
        return ImageLDMChecksum.sealed(t.bytes)
    }

    func vmdbAndSlots(vmdbOffset: UInt64) -> (bytes: [UInt8], slots: [SlotInfo]) {
        let size = group.vblkSize
        let firstSeq = DatabaseWriter.firstSlotOffset / size
        let lastSeq = firstSeq + slotCount
        var blob = ImageBuffer(count: DatabaseWriter.firstSlotOffset + slotCount * size)

        blob.put(Array("VMDB".utf8), at: 0x00)
        blob.be32(UInt32(lastSeq), at: 0x04)
        blob.be32(UInt32(size), at: 0x08)
        blob.be32(UInt32(DatabaseWriter.firstSlotOffset), at: 0x0C)
        blob.be16(1, at: 0x10)  // update status: consistent
        blob.be16(4, at: 0x12)
        blob.be16(10, at: 0x14)
        blob.putText(group.name, at: 0x16, limit: 31)
        blob.putText(group.guid, at: 0x35, limit: 64)
        blob.be64(group.sequence, at: 0x75)  // committed
        blob.be64(group.sequence, at: 0x7D)  // pending
        let count = { (k: VBLKEncoder.Kind) in UInt32(records.filter { $0.kind == k }.count) }
        for base in [0x85, 0xA1] {  // committed, then pending counts
            blob.be32(count(.volume), at: base)
            blob.be32(count(.component), at: base + 4)
            blob.be32(count(.partition), at: base + 8)
            blob.be32(count(.disk), at: base + 12)
        }
        blob.be64(DatabaseWriter.timestamp, at: 0xBD)  // last accessed

        var slots: [SlotInfo] = []
        var seq = firstSeq
        for (i, r) in records.enumerated() {
            let n = VBLKEncoder.fragmentCount(r, vblkSize: size)
            for f in 0..<n {
                let bytes = VBLKEncoder.slot(r, sequence: UInt32(seq), recordID: UInt32(i + 1),
                                             fragment: f, of: n, vblkSize: size)
                blob.put(bytes, at: seq * size)
                slots.append(SlotInfo(sequence: UInt32(seq), offset: vmdbOffset + UInt64(seq * size),
                                      recordID: UInt32(i + 1), fragment: f, fragments: n,
                                      kind: r.kind.rawValue, objectName: r.name))
                seq += 1
            }
        }
        while seq < lastSeq {
            blob.put(VBLKEncoder.slot(nil, sequence: UInt32(seq), recordID: 0, fragment: 0, of: 0, vblkSize: size),
                     at: seq * size)
            slots.append(SlotInfo(sequence: UInt32(seq), offset: vmdbOffset + UInt64(seq * size),
                                  recordID: 0, fragment: 0, fragments: 0, kind: nil, objectName: nil))
            seq += 1
        }
        return (blob.bytes, slots)
    }
}
