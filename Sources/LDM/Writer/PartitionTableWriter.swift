/// The partition table in front of the LDM structures: an MBR with one
/// type-0x42 entry, or a protective MBR and GPT (primary and backup) with
/// LDM metadata, Microsoft reserved and LDM data partitions.
enum PartitionTableWriter {
    /// MBR partition type of a dynamic disk.
    static let mbrTypeLDM: UInt8 = 0x42
    /// MBR partition type of GPT's protective entry.
    static let mbrTypeProtective: UInt8 = 0xEE
    static let ldmMetadataType = ImageGUID("5808c8aa-7e8f-42e0-85d2-e1e90434cfb3")!
    static let ldmDataType = ImageGUID("af9b60a0-1431-4f62-bc68-3311714a69ad")!
    static let microsoftReservedType = ImageGUID("e3c9e316-0b5c-4db8-817d-f92df00215ae")!
    static let entryCount = 128
    static let entrySize = 128

    /// A basic entry placed on the disk, in logical sectors.
    struct Basic {
        let entry: ImageSpec.BasicEntry
        let first: UInt64
        let count: UInt64
    }

    static func structures(for d: PlannedDisk, basic: [Basic] = []) -> (pieces: [ImagePiece], gpt: GPTLayout?) {
        let total = d.totalSectors
        switch d.partitionStyle {
        case .mbr:
            // The 0x42 entry from the data start to the end of the disk,
            // with any basic entries before or after it.
            let ldm = (type: mbrTypeLDM, start: d.dataStart, count: total - d.dataStart)
            let entries = basic.filter { !$0.entry.afterLDM }.map { ($0.entry.mbrType, $0.first, $0.count) } + [ldm]
                + basic.filter(\.entry.afterLDM).map { ($0.entry.mbrType, $0.first, $0.count) }
            let mbr = mbrSector(d, entries: entries.map { (type: $0.0, start: $0.1, count: $0.2) })
            return ([ImagePiece(offset: 0, bytes: mbr)], nil)
        case .gpt:
            return gpt(d, basic: basic)
        }
    }

    static func mbrSector(_ d: PlannedDisk, type: UInt8, start: UInt64, count: UInt64) -> [UInt8] {
        mbrSector(d, entries: [(type, start, count)])
    }

    static func mbrSector(_ d: PlannedDisk, entries: [(type: UInt8, start: UInt64, count: UInt64)]) -> [UInt8] {
        var m = ImageBuffer(count: d.sectorSize)
        m.le32(d.signature, at: 0x1B8)
        for (i, entry) in entries.prefix(4).enumerated() {
            let e = 0x1BE + 16 * i
            m.put([0x00, 0xFE, 0xFF, 0xFF], at: e)  // not bootable; CHS "use LBA"
            m.putByte(entry.type, at: e + 4)
            m.put([0xFE, 0xFF, 0xFF], at: e + 5)
            m.le32(UInt32(min(entry.start, 0xFFFF_FFFF)), at: e + 8)
            m.le32(UInt32(min(entry.count, 0xFFFF_FFFF)), at: e + 12)
        }
        m.put([0x55, 0xAA], at: 510)
        return m.bytes
    }

    private static func gpt(_ d: PlannedDisk, basic: [Basic]) -> (pieces: [ImagePiece], gpt: GPTLayout?) {
        let ss = UInt64(d.sectorSize)
        let total = d.totalSectors
        let entrySectors = UInt64(entryCount * entrySize) / ss
        let lastUsable = total - 2 - entrySectors
        let align = d.configSize  // 1 MiB in sectors
        func basicParts(_ after: Bool) -> [(ImageGUID, UInt64, UInt64, String)] {
            basic.filter { $0.entry.afterLDM == after }.map {
                (ImageGUID($0.entry.gptType) ?? ImageGUID("ebd0a0a2-b9e5-4433-87c0-68b6b72699c7")!,
                 $0.first, $0.first + $0.count - 1, "Basic data partition")
            }
        }
        let parts: [(ImageGUID, UInt64, UInt64, String)] = basicParts(false) + [
            (ldmMetadataType, d.configStart, d.configStart + d.configSize - 1, "LDM metadata partition"),
            (microsoftReservedType, 2 * align, 3 * align - 1, "Microsoft reserved partition"),
            (ldmDataType, d.dataStart, d.dataStart + d.dataSize - 1, "LDM data partition"),
        ] + basicParts(true)
        var entries = ImageBuffer(count: entryCount * entrySize)
        for (i, (type, first, last, name)) in parts.enumerated() {
            let e = i * entrySize
            entries.put(type.mixedEndian, at: e)
            entries.put(ImageGUID.derived(["gpt-partition", d.guid, String(i)]).mixedEndian, at: e + 16)
            entries.le64(first, at: e + 32)
            entries.le64(last, at: e + 40)
            entries.le64(0, at: e + 48)  // attributes
            for (k, unit) in name.utf16.prefix(36).enumerated() { entries.le16(unit, at: e + 56 + 2 * k) }
        }
        let entriesCRC = ImageCRC32.checksum(entries.bytes)
        let diskGUID = ImageGUID(d.guid)!
        let primary = gptHeader(d, current: 1, backup: total - 1, entriesLBA: 2, firstUsable: 2 + entrySectors,
                                lastUsable: lastUsable, diskGUID: diskGUID, entriesCRC: entriesCRC)
        let backupEntriesLBA = total - 1 - entrySectors
        let backup = gptHeader(d, current: total - 1, backup: 1, entriesLBA: backupEntriesLBA,
                               firstUsable: 2 + entrySectors, lastUsable: lastUsable, diskGUID: diskGUID,
                               entriesCRC: entriesCRC)
        let protective = mbrSector(d, type: mbrTypeProtective, start: 1, count: total - 1)
        let layout = GPTLayout(primaryHeader: ss, primaryEntries: 2 * ss,
                               backupEntries: backupEntriesLBA * ss, backupHeader: (total - 1) * ss)
        return ([ImagePiece(offset: 0, bytes: protective),
                 ImagePiece(offset: layout.primaryHeader, bytes: primary),
                 ImagePiece(offset: layout.primaryEntries, bytes: entries.bytes),
                 ImagePiece(offset: layout.backupEntries, bytes: entries.bytes),
                 ImagePiece(offset: layout.backupHeader, bytes: backup)], layout)
    }

    private static func gptHeader(_ d: PlannedDisk, current: UInt64, backup: UInt64, entriesLBA: UInt64,
                                  firstUsable: UInt64, lastUsable: UInt64, diskGUID: ImageGUID,
                                  entriesCRC: UInt32) -> [UInt8] {
        let headerSize = 92
        var h = ImageBuffer(count: d.sectorSize)
        h.put(Array("EFI PART".utf8), at: 0)
        h.le32(0x0001_0000, at: 8)  // revision 1.0
        h.le32(UInt32(headerSize), at: 12)
        h.le64(current, at: 24)
        h.le64(backup, at: 32)
        h.le64(firstUsable, at: 40)
        h.le64(lastUsable, at: 48)
        h.put(diskGUID.mixedEndian, at: 56)
        h.le64(entriesLBA, at: 72)
        h.le32(UInt32(entryCount), at: 80)
        h.le32(UInt32(entrySize), at: 84)
        h.le32(entriesCRC, at: 88)
        h.le32(ImageCRC32.checksum(h.bytes[0..<headerSize]), at: 16)  // CRC with its own field zero
        return h.bytes
    }
}
