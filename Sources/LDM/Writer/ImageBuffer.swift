/// A zero-filled byte buffer with big- and little-endian stores: the one place
/// the writer turns integers into on-disk bytes. LDM structures are
/// big-endian; MBR and GPT structures are little-endian.
struct ImageBuffer: Sendable {
    private(set) var bytes: [UInt8]

    init(count: Int) { bytes = [UInt8](repeating: 0, count: count) }

    var count: Int { bytes.count }

    mutating func put(_ data: some Collection<UInt8>, at offset: Int) {
        var i = offset
        for b in data {
            bytes[i] = b
            i += 1
        }
    }

    /// Text into a fixed field, cut to `limit` bytes; the rest stays NUL.
    mutating func putText(_ text: String, at offset: Int, limit: Int) {
        put(Array(text.utf8.prefix(limit)), at: offset)
    }

    mutating func putByte(_ v: UInt8, at offset: Int) { bytes[offset] = v }

    mutating func be16(_ v: UInt16, at offset: Int) { putBigEndian(UInt64(v), width: 2, at: offset) }
    mutating func be32(_ v: UInt32, at offset: Int) { putBigEndian(UInt64(v), width: 4, at: offset) }
    mutating func be64(_ v: UInt64, at offset: Int) { putBigEndian(v, width: 8, at: offset) }
    mutating func le16(_ v: UInt16, at offset: Int) { putLittleEndian(UInt64(v), width: 2, at: offset) }
    mutating func le32(_ v: UInt32, at offset: Int) { putLittleEndian(UInt64(v), width: 4, at: offset) }
    mutating func le64(_ v: UInt64, at offset: Int) { putLittleEndian(v, width: 8, at: offset) }

    private mutating func putBigEndian(_ v: UInt64, width: Int, at offset: Int) {
        for i in 0..<width {
            bytes[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(width - 1 - i)))
        }
    }

    private mutating func putLittleEndian(_ v: UInt64, width: Int, at offset: Int) {
        for i in 0..<width {
            bytes[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))
        }
    }
}

/// Appends the variable-length fields of a VBLK record body.
struct RecordBodyBuilder: Sendable {
    private(set) var bytes: [UInt8] = []

    /// A vnum: one length byte (1...8), then the value's big-endian bytes
    /// without leading zeros (Windows writes the shortest form).
    mutating func vnum(_ v: UInt64) {
        var digits: [UInt8] = []
        var x = v
        repeat {
            digits.insert(UInt8(truncatingIfNeeded: x), at: 0)
            x >>= 8
        } while x != 0
        bytes.append(UInt8(digits.count))
        bytes += digits
    }

    /// A vstr: one length byte then the bytes (callers check the 255 limit).
    mutating func vstr(_ s: [UInt8]) {
        bytes.append(UInt8(s.count))
        bytes += s
    }

    mutating func vstr(_ s: String) { vstr(Array(s.utf8)) }

    mutating func raw(_ b: [UInt8]) { bytes += b }

    mutating func zeros(_ n: Int) { bytes += [UInt8](repeating: 0, count: n) }

    mutating func be64(_ v: UInt64) {
        for i in (0..<8).reversed() { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    mutating func be32(_ v: UInt32) {
        for i in (0..<4).reversed() { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) }
    }

    mutating func byte(_ v: UInt8) { bytes.append(v) }
}
