/// The known contents of every written volume: a pure function of (group
/// name, volume name, logical 512-byte sector number), so a test can compute
/// what any volume must read back as without storing it.
///
/// Each 512-byte sector starts with the ASCII line
/// `LDMCTL <group>/<volume> sector <n>\n` and is filled out with SplitMix64
/// output seeded from the names and `n` (little-endian 64-bit words).
public enum VolumeContent {
    /// Content is addressed in 512-byte sectors whatever the disk's sector size.
    public static let sectorSize = 512

    /// The bytes of logical sector `index` of a volume.
    public static func sector(group: String, volume: String, index: UInt64) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: sectorSize)
        ContentStream(group: group, volume: volume).fill(&out, at: 0, index: index)
        return out
    }

    /// Content sectors `sectors` of a volume, back to back (for volumes small
    /// enough to hold in memory; comparing bytes is cheaper than hashing in
    /// debug builds).
    public static func bytes(group: String, volume: String, sectors: Range<UInt64>) -> [UInt8] {
        let stream = ContentStream(group: group, volume: volume)
        var out = [UInt8](repeating: 0, count: sectors.count * sectorSize)
        for (i, n) in sectors.enumerated() { stream.fill(&out, at: i * sectorSize, index: n) }
        return out
    }

    /// SHA-256 of the first `sectors` content sectors of a volume, in hex.
    public static func sha256(group: String, volume: String, sectors: UInt64) -> String {
        let stream = ContentStream(group: group, volume: volume)
        var digest = ContentDigest()
        var buffer = [UInt8](repeating: 0, count: sectorSize)
        for i in 0..<sectors {
            stream.fill(&buffer, at: 0, index: i)
            digest.update(buffer)
        }
        return ContentDigest.hex(digest.finalize())
    }
}

/// Windows' RAID-5 layout, as found on the Windows Server 2003 images:
/// left-symmetric (md `left-symmetric`, dm `raid5_ls`) over the columns in
/// column-index order. Row r keeps parity in column `n-1-(r mod n)` and its
/// data chunks in the columns after the parity column, wrapping around.
public enum WindowsRAID5Layout {
    public static func parityColumn(row: UInt64, columns: UInt64) -> UInt64 {
        columns - 1 - row % columns
    }

    /// The column holding data chunk `k` (0 ..< columns-1) of row `row`.
    public static func dataColumn(chunk k: UInt64, row: UInt64, columns: UInt64) -> UInt64 {
        (parityColumn(row: row, columns: columns) + 1 + k) % columns
    }
}

/// One volume's pattern generator, with the per-volume work done once.
struct ContentStream: Sendable {
    let prefix: [UInt8]
    let seed: UInt64

    init(group: String, volume: String) {
        prefix = Array("LDMCTL \(group)/\(volume) sector ".utf8)
        seed = ImageHash.fnv1a(["content", group, volume])
    }

    /// Writes content sector `index` into `buffer[offset ..< offset+512]`:
    /// the header line, then the little-endian bytes of successive
    /// SplitMix64 outputs.
    func fill(_ buffer: inout [UInt8], at offset: Int, index: UInt64) {
        let size = VolumeContent.sectorSize
        var header = prefix
        header += String(index).utf8
        header.append(0x0A)
        let h = min(header.count, size)
        var rng = SplitMix64(seed: seed ^ (index &* 0xD6E8_FEB8_6659_FD93))
        buffer.withUnsafeMutableBytes { all in
            let dst = UnsafeMutableRawBufferPointer(rebasing: all[offset..<offset + size])
            dst.copyBytes(from: header[0..<h])
            var i = h
            while i + 8 <= size {
                dst.storeBytes(of: rng.next().littleEndian, toByteOffset: i, as: UInt64.self)
                i += 8
            }
            if i < size {
                let word = rng.next()
                for k in 0..<(size - i) { dst[i + k] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(k))) }
            }
        }
    }
}

/// What one partition holds: its slice of its volume's content, or RAID-5
/// parity computed from it.
struct PartitionContent: Sendable {
    let stream: ContentStream
    let role: ContentRole

    /// Writes partition content sector `i` (512-byte units from the
    /// partition's start) into `buffer[offset ..< offset+512]`.
    func fill(_ buffer: inout [UInt8], at offset: Int, sector i: UInt64) {
        switch role {
        case let .linear(base):
            stream.fill(&buffer, at: offset, index: base + i)
        case let .stripe(column, columns, chunk):
            let row = i / chunk
            stream.fill(&buffer, at: offset, index: (row * columns + column) * chunk + i % chunk)
        case let .raid5(column, columns, chunk):
            let row = i / chunk
            let within = i % chunk
            let dataPerRow = columns - 1
            let parity = WindowsRAID5Layout.parityColumn(row: row, columns: columns)
            if column != parity {
                let k = (column + columns - parity - 1) % columns
                stream.fill(&buffer, at: offset, index: (row * dataPerRow + k) * chunk + within)
                return
            }
            // Parity: the XOR of the row's data chunks at the same offset.
            let size = VolumeContent.sectorSize
            var parityBytes = [UInt8](repeating: 0, count: size)
            var scratch = [UInt8](repeating: 0, count: size)
            for k in 0..<dataPerRow {
                stream.fill(&scratch, at: 0, index: (row * dataPerRow + k) * chunk + within)
                parityBytes.withUnsafeMutableBufferPointer { p in
                    scratch.withUnsafeBufferPointer { d in
                        for j in 0..<size { p[j] ^= d[j] }
                    }
                }
            }
            buffer.replaceSubrange(offset..<offset + size, with: parityBytes)
        }
    }
}
