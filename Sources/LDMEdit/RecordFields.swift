/// The few fields of existing records a change needs that the reader's
/// model does not keep: a volume record's volume number, and where a
/// record's commit id lies. Field order after DiskAccessLibrary's
/// `VolumeRecord` and `DiskRecord`.
enum RecordFields {
    /// The volume number of a volume record payload (bytes from record
    /// offset 0x10): after the id, name, type and an unnamed string, the
    /// 14-byte state and the read policy byte.
    static func volumeNumber(_ payload: [UInt8]) -> UInt64? {
        var o = 8
        func vnum() -> UInt64? {
            guard o < payload.count else { return nil }
            let n = Int(payload[o])
            guard (1...8).contains(n), o + 1 + n <= payload.count else { return nil }
            defer { o += 1 + n }
            return payload[(o + 1)...(o + n)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
        func vstr() -> Bool {
            guard o < payload.count, o + 1 + Int(payload[o]) <= payload.count else { return false }
            o += 1 + Int(payload[o])
            return true
        }
        guard vnum() != nil, vstr(), vstr(), vstr() else { return nil }
        o += 15
        return vnum()
    }

    /// A disk record ends with its flags (u32) and commit id (u64), in
    /// both revisions: the copy a change writes carries the change's id.
    static func withCommitID(_ payload: [UInt8], _ id: UInt64) -> [UInt8] {
        var p = payload
        guard p.count >= 8 + 12 else { return p }
        putBE(id, width: 8, into: &p, at: p.count - 8)
        return p
    }
}
