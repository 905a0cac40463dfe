/// The checksum of PRIVHEAD and TOCBLOCK: the plain sum of the structure's
/// first 512 bytes (also on 4096-byte sectors, where the rest of the sector
/// is padding), with its own four bytes at 0x08 taken as zero, stored
/// big-endian at 0x08. The kernel, GRUB, FreeBSD and libldm never look at it;
/// DiskAccessLibrary, which reads and writes as Windows does, refuses a copy
/// whose sum is wrong, and so do we: a copy that fails it was torn or
/// altered, and another copy can stand in. On all 30 PRIVHEAD and 40
/// TOCBLOCK copies of the Windows Server 2003 R2 images the sum matches.
enum LDMChecksum {
    static let field = 0x08
    static let coveredBytes = 512

    /// Sum over `bytes` (at least 512 of them).
    static func compute(_ bytes: [UInt8]) -> UInt32 {
        let n = min(coveredBytes, bytes.count)
        var sum: UInt32 = 0
        // Every byte, eight a step, then the checksum's own field taken out
        // again: no test per byte (the fuzzer's coverage build traces each
        // one, and every PRIVHEAD and TOCBLOCK copy is summed).
        bytes.withUnsafeBufferPointer { b in
            var i = 0
            while i + 8 <= n {
                sum &+= UInt32(b[i]) &+ UInt32(b[i + 1]) &+ UInt32(b[i + 2]) &+ UInt32(b[i + 3])
                    &+ UInt32(b[i + 4]) &+ UInt32(b[i + 5]) &+ UInt32(b[i + 6]) &+ UInt32(b[i + 7])
                i += 8
            }
            while i < n {
                sum &+= UInt32(b[i])
                i += 1
            }
        }
        for i in field..<max(field, min(field + 4, n)) { sum &-= UInt32(bytes[i]) }
        return sum
    }

    static func stored(_ bytes: [UInt8]) -> UInt32 {
        bytes[field..<field + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func verify(_ bytes: [UInt8], device: String, location: String) throws {
        guard bytes.count >= coveredBytes else {
            throw LDMError(.invalid, device: device, location: location, field: nil, "truncated: \(bytes.count) bytes, a header takes 512")
        }
        let stored = stored(bytes), computed = compute(bytes)
        guard stored == computed else {
            throw LDMError(.invalid, device: device, location: location, field: "checksum",
                           "stored checksum 0x\(String(stored, radix: 16, uppercase: true)) does not match the sum of the header's bytes (0x\(String(computed, radix: 16, uppercase: true))): the copy is torn or was altered")
        }
    }
}
