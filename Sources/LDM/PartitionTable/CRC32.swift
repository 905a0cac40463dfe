/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) as GPT uses it for
/// its header and partition entry array.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        // One lookup of the table, not one per byte (the GPT entry array
        // is 16 KiB and every disk of every scan has one).
        table.withUnsafeBufferPointer { t in
            // Contiguous bytes (arrays, slices: every caller) are walked
            // through a buffer pointer, without a bounds check per byte.
            let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
                for byte in buffer { crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
            }
            if done == nil {
                for byte in bytes { crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
