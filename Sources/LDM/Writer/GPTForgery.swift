/// Rewrites GPT partition entries and re-seals the CRCs, so tests and the
/// fuzzer can make foreign GPT disks (any entry type, any LBAs) that the
/// reader accepts as well-formed and has to judge on their contents.
public enum GPTForgery {
    /// Microsoft basic data: an ordinary, non-LDM partition.
    public static let basicDataType = "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7"
    public static let ldmMetadataType = PartitionTableWriter.ldmMetadataType.text
    public static let ldmDataType = PartitionTableWriter.ldmDataType.text

    /// Sets entry `index` of a GPT entry array (128-byte entries).
    public static func setEntry(_ entries: inout [UInt8], index: Int, type: String, first: UInt64, last: UInt64,
                                entrySize: Int = 128) {
        var e = ImageBuffer(count: entrySize)
        e.put(ImageGUID(type)!.mixedEndian, at: 0)
        e.put(ImageGUID.derived(["forged-partition", String(index)]).mixedEndian, at: 16)
        e.le64(first, at: 32)
        e.le64(last, at: 40)
        entries.replaceSubrange(index * entrySize..<(index + 1) * entrySize, with: e.bytes)
    }

    /// Recomputes the entry-array CRC (over the count and size the header
    /// gives, where they fit the array) and the header CRC.
    public static func reseal(header: inout [UInt8], entries: [UInt8]) {
        func le32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(header[at + $1]) << (8 * $1) } }
        func put32(_ v: UInt32, _ at: Int) { for k in 0..<4 { header[at + k] = UInt8((v >> (8 * UInt32(k))) & 0xFF) } }
        guard header.count >= 92 else { return }
        let arrayBytes = le32(80).multipliedReportingOverflow(by: le32(84))
        if !arrayBytes.overflow, arrayBytes.partialValue <= entries.count {
            put32(ImageCRC32.checksum(entries[0..<arrayBytes.partialValue]), 88)
        }
        let size = le32(12)
        guard size >= 92, size <= header.count else { return }
        put32(0, 16)
        put32(ImageCRC32.checksum(header[0..<size]), 16)
    }
}

extension DiskImage {
    /// Sets primary GPT entry `index` and re-seals the primary header.
    public mutating func setGPTEntry(_ index: Int, type: String, first: UInt64, last: UInt64) {
        guard let gpt = layout.gpt else { preconditionFailure("\(name) has no GPT") }
        let entryBytes = PartitionTableWriter.entryCount * PartitionTableWriter.entrySize
        var header = read(at: gpt.primaryHeader, count: sectorSize, includeContent: false)
        var entries = read(at: gpt.primaryEntries, count: entryBytes, includeContent: false)
        GPTForgery.setEntry(&entries, index: index, type: type, first: first, last: last)
        GPTForgery.reseal(header: &header, entries: entries)
        patch(at: gpt.primaryEntries, bytes: entries)
        patch(at: gpt.primaryHeader, bytes: header)
    }
}
