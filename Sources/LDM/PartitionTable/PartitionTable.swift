/// The partition table of a dynamic disk: where the PRIVHEAD is, and which
/// ordinary partitions cover the LDM areas (used to map through a partition
/// device when the whole disk is busy).
public struct PartitionTable: Equatable, Sendable {
    public enum Style: String, Sendable { case mbr, gpt }

    /// One partition-table entry that matters to LDM.
    public struct Entry: Equatable, Sendable {
        /// 1-based partition number, as the kernel numbers /dev/sdXN.
        public var number: Int
        public var firstLBA: UInt64
        public var sectorCount: UInt64
    }

    public var style: Style
    /// Logical sector holding the primary PRIVHEAD.
    public var privateHeaderLBA: UInt64
    /// MBR: the 0x42 entry. GPT: the LDM data partition.
    public var dataEntry: Entry?
    /// GPT only: the LDM metadata partition.
    public var metadataEntry: Entry?

    /// MBR partition type of a dynamic disk's single LDM partition.
    static let mbrLDMType: UInt8 = 0x42
    static let mbrProtectiveGPT: UInt8 = 0xEE
    /// The primary PRIVHEAD of an MBR dynamic disk.
    static let mbrPrivateHeaderLBA: UInt64 = 6
    public static let ldmMetadataType = GUID("5808c8aa-7e8f-42e0-85d2-e1e90434cfb3")!
    public static let ldmDataType = GUID("af9b60a0-1431-4f62-bc68-3311714a69ad")!
    /// Bounds for a sane GPT entry array (the spec's minimum array is 16 KiB).
    static let maxGPTEntries: UInt32 = 1024
    static let maxGPTEntrySize: UInt32 = 1024

    /// Reads sector 0 (and the GPT if there is one).
    public static func read(from source: some SectorSource) throws -> PartitionTable {
        let device = source.displayName
        guard source.byteCount >= UInt64(source.sectorSize) * 8 else {
            throw LDMError(.notLDM, device: device, location: "partition table", "device too small to be a dynamic disk (\(source.byteCount) bytes)")
        }
        let mbr = try source.readSectors(0, count: 1, for: "MBR (sector 0)")
        guard mbr[510] == 0x55, mbr[511] == 0xAA else {
            throw LDMError(.notLDM, device: device, location: "MBR (sector 0)", field: "signature", "no MBR signature 55 AA: not a partitioned disk")
        }
        var ldmEntry: Entry?
        var protective = false
        for index in 0..<4 {
            let base = 446 + 16 * index
            let type = mbr[base + 4]
            var c = ByteCursor(mbr, offset: base + 8)
            // MBR fields are little-endian, unlike LDM's own structures.
            let first = UInt64(try c.u32().byteSwapped)
            let count = UInt64(try c.u32().byteSwapped)
            if type == mbrLDMType, ldmEntry == nil {
                ldmEntry = Entry(number: index + 1, firstLBA: first, sectorCount: count)
            }
            if type == mbrProtectiveGPT { protective = true }
        }
        if let ldmEntry {
            return PartitionTable(style: .mbr, privateHeaderLBA: mbrPrivateHeaderLBA, dataEntry: ldmEntry, metadataEntry: nil)
        }
        if protective { return try readGPT(from: source) }
        throw LDMError(.notLDM, device: device, location: "MBR (sector 0)", field: "partition type", "no LDM partition (type 0x42) and no GPT: not a dynamic disk")
    }

    static func readGPT(from source: some SectorSource) throws -> PartitionTable {
        let device = source.displayName
        let where_ = "GPT header (sector 1)"
        let header = try source.readSectors(1, count: 1, for: where_)
        var c = ByteCursor(header)
        guard Array(try c.bytes(8)) == Array("EFI PART".utf8) else {
            throw LDMError(.badMagic, device: device, location: where_, field: "signature", "missing \"EFI PART\"")
        }
        // GPT is little-endian.
        try c.seek(to: 12)
        let headerSize = Int(try c.u32().byteSwapped)
        let storedCRC = try c.u32().byteSwapped
        guard headerSize >= 92, headerSize <= header.count else {
            throw LDMError(.invalid, device: device, location: where_, field: "header size", "\(headerSize) is out of range")
        }
        var forCRC = Array(header[0..<headerSize])
        forCRC[16..<20] = [0, 0, 0, 0]
        guard CRC32.checksum(forCRC) == storedCRC else {
            throw LDMError(.invalid, device: device, location: where_, field: "header CRC32", "checksum mismatch")
        }
        try c.seek(to: 72)
        let entriesLBA = try c.u64().byteSwapped
        let entryCount = try c.u32().byteSwapped
        let entrySize = try c.u32().byteSwapped
        let entriesCRC = try c.u32().byteSwapped
        guard entryCount <= maxGPTEntries, entrySize >= 128, entrySize <= maxGPTEntrySize, entrySize % 8 == 0 else {
            throw LDMError(.invalid, device: device, location: where_, field: "partition entries", "\(entryCount) entries of \(entrySize) bytes is out of range")
        }
        let arrayBytes = Int(entryCount) * Int(entrySize)
        let sectors = (arrayBytes + source.sectorSize - 1) / source.sectorSize
        let array = try source.readSectors(entriesLBA, count: sectors, for: "GPT partition entries (sector \(entriesLBA))")
        guard CRC32.checksum(array[0..<arrayBytes]) == entriesCRC else {
            throw LDMError(.invalid, device: device, location: "GPT partition entries", field: "CRC32", "checksum mismatch")
        }
        var metadata: Entry?
        var data: Entry?
        for i in 0..<Int(entryCount) {
            let base = i * Int(entrySize)
            // Only the two LDM entries are measured: any other entry's LBAs
            // (a foreign disk may hold anything there) are none of our business.
            // An all-zero type is an unused entry (most of the array).
            guard array[base..<base + 16].contains(where: { $0 != 0 }),
                  let type = GUID(binary: mixedEndianGUID(array[base..<base + 16])),
                  type == ldmMetadataType || type == ldmDataType else { continue }
            var e = ByteCursor(array, offset: base + 32)
            let first = try e.u64().byteSwapped
            let last = try e.u64().byteSwapped
            // Inside the disk, so sizes and every LBA derived from them fit.
            guard first <= last, last < source.sectorCount else {
                throw LDMError(.invalid, device: device, location: "GPT partition entry \(i + 1)", field: "first/last LBA",
                               "LDM \(type == ldmDataType ? "data" : "metadata") partition \(first)...\(last) does not lie inside the \(source.sectorCount)-sector disk")
            }
            let entry = Entry(number: i + 1, firstLBA: first, sectorCount: last - first + 1)
            if type == ldmMetadataType, metadata == nil { metadata = entry }
            if type == ldmDataType, data == nil { data = entry }
        }
        guard let metadata else {
            throw LDMError(.notLDM, device: device, location: "GPT partition entries", "no LDM metadata partition: not a dynamic disk")
        }
        // The PRIVHEAD lives in the last sector of the LDM metadata partition.
        return PartitionTable(style: .gpt, privateHeaderLBA: metadata.firstLBA + metadata.sectorCount - 1,
                              dataEntry: data, metadataEntry: metadata)
    }

    /// GPT stores GUIDs with the first three groups little-endian.
    static func mixedEndianGUID(_ b: ArraySlice<UInt8>) -> [UInt8] {
        let a = Array(b)
        return [a[3], a[2], a[1], a[0], a[5], a[4], a[7], a[6]] + a[8..<16]
    }
}
