import LDM

/// A written image can feed the reader directly, without a file: tests get
/// a `SectorSource` that generates volume content on demand.
extension DiskImage: SectorSource {
    public var byteCount: UInt64 { sizeBytes }

    /// Exactly `count` bytes at `offset`, content included; throws past the end.
    public func read(at offset: UInt64, count: Int) throws(ImageWriterError) -> [UInt8] {
        guard count >= 0, offset <= sizeBytes, UInt64(count) <= sizeBytes - offset else {
            throw .outOfRange(offset: offset, count: count, size: sizeBytes)
        }
        return read(at: offset, count: count, includeContent: true)
    }
}
