/// Checksums and deterministic numbers the writer needs, kept private to the
/// writer so it does not depend on the reader's helpers.
enum ImageCRC32 {
    /// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as GPT headers
    /// and partition-entry arrays require.
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

/// The PRIVHEAD and TOCBLOCK checksum: the sum of the first 512 bytes with
/// the checksum's own field (0x08, four bytes) counted as zero, big-endian.
/// Written here independently of the reader's copy, so each checks the other.
public enum ImageLDMChecksum {
    static func sum(_ bytes: [UInt8]) -> UInt32 {
        var total: UInt32 = 0
        for (i, b) in bytes.prefix(512).enumerated() where i < 8 || i > 11 { total &+= UInt32(b) }
        return total
    }

    /// `bytes` (a PRIVHEAD or TOCBLOCK, at least 512 bytes) with its checksum set.
    public static func sealed(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        let s = sum(bytes)
        for i in 0..<4 { out[8 + i] = UInt8(truncatingIfNeeded: s >> (24 - 8 * UInt32(i))) }
        return out
    }
}

/// FNV-1a (64-bit) to turn names into seeds, and SplitMix64 to stretch a
/// seed into a stream: cheap, well mixed, and identical on every platform.
enum ImageHash {
    static func fnv1a(_ bytes: some Sequence<UInt8>, seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
        var h = seed
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    static func fnv1a(_ parts: [String]) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for p in parts {
            h = fnv1a(p.utf8, seed: h)
            h = fnv1a([0], seed: h)  // separator, so ("ab","c") != ("a","bc")
        }
        return h
    }
}

/// Also the tests' generator: deterministic, so a failure names its seed.
public struct SplitMix64: Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
