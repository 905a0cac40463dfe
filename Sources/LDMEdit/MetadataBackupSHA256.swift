import LDMWriter

/// The backup manifest's per-file checksum: SHA-256 as lower-case hex, the
/// same value `sha256sum` prints, so a user can check a backup by hand.
enum SHA256 {
    static func hex(_ message: [UInt8]) -> String {
        var digest = ContentDigest()
        digest.update(message)
        return ContentDigest.hex(digest.finalize())
    }
}
