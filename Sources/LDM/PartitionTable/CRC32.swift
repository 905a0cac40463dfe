/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) as GPT uses it for
/// its header and partition entry array.
public enum CRC32 {
    /// Eight tables of 256 ("slicing by 8"): table k maps a byte to the CRC
    /// of that byte followed by k zero bytes, so eight bytes are folded in
    /// with eight independent lookups instead of a chain of eight. Table 0
    /// is the classic byte-at-a-time table.
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let previous = t[(k - 1) * 256 + n]
                t[k * 256 + n] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }()

    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        // The GPT entry array is 16 KiB and every disk of every scan (and
        // every fuzz run, several times) has one: a byte at a time, this
        // was a quarter of a fuzz run.
        tables.withUnsafeBufferPointer { t in
            func byte(_ b: UInt8) { crc = t[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
            // Contiguous bytes (arrays, slices: every caller) are walked
            // through a buffer pointer, eight bytes a step.
            let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
                guard let base = buffer.baseAddress else { return }
                let whole = buffer.count & ~7
                var i = 0
                while i < whole {
                    let word = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
                    let lo = crc ^ UInt32(truncatingIfNeeded: word), hi = UInt32(truncatingIfNeeded: word >> 32)
                    crc = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                        ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                        ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                        ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                    i += 8
                }
                while i < buffer.count {
                    byte(base[i])
                    i += 1
                }
            }
            if done == nil {
                for b in bytes { byte(b) }
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
