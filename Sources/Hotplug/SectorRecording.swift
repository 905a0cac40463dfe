import LDM

/// Wraps a disk and keeps every byte range the reader asked for, so the
/// metadata of one disk can be stored under /run and parsed again later
/// without touching the disk (see `RecordedDisk`).
public final class RecordingSectorSource<Base: SectorSource>: SectorSource {
    public let base: Base
    /// (byte offset, bytes) in the order they were read.
    public private(set) var extents: [(offset: UInt64, bytes: [UInt8])] = []

    public init(_ base: Base) { self.base = base }

    public var name: String { base.name }
    public var path: DevicePath { base.path }
    public var sectorSize: Int { base.sectorSize }
    public var byteCount: UInt64 { base.byteCount }

    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        let bytes = try base.read(at: offset, count: count)
        extents.append((offset, bytes))
        return bytes
    }

    public var bytesRead: Int { extents.reduce(0) { $0 + $1.bytes.count } }
}

/// Serves reads from recorded extents only. The reader is deterministic,
/// so parsing the same bytes asks for the same ranges; anything else is an
/// error rather than a silent read of zeros.
public struct ReplaySectorSource: SectorSource {
    public let name: String
    public let sectorSize: Int
    public let byteCount: UInt64
    public let extents: [(offset: UInt64, bytes: [UInt8])]

    public init(name: String, sectorSize: Int, byteCount: UInt64, extents: [(offset: UInt64, bytes: [UInt8])]) {
        self.name = name
        self.sectorSize = sectorSize
        self.byteCount = byteCount
        self.extents = extents
    }

    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        for e in extents where e.offset <= offset {
            let skip = offset - e.offset
            guard skip <= UInt64(e.bytes.count), UInt64(count) <= UInt64(e.bytes.count) - skip else { continue }
            let start = Int(skip)
            return Array(e.bytes[start..<start + count])
        }
        throw LDMError(.io, device: displayName, location: "byte \(offset)",
                       "not in the recorded metadata (\(count) bytes); the record is stale or damaged")
    }
}
