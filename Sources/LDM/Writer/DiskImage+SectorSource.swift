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

/// A written image under another device name: a `/dev`-style name as the
/// udev helper sees a disk, or a forged disk beside the real one it copies
/// (both have the same disk name in their specs).
public struct NamedImage: SectorSource {
    public let image: DiskImage
    public let name: String
    public init(image: DiskImage, name: String) {
        self.image = image
        self.name = name
    }
    public var sectorSize: Int { image.sectorSize }
    public var byteCount: UInt64 { image.byteCount }
    public func read(at offset: UInt64, count: Int) throws -> [UInt8] { try image.read(at: offset, count: count) }
}
