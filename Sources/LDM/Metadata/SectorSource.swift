/// Where the reader gets bytes from: a block device, an image file, or a
/// buffer in a test. The reader asks for only the sectors it needs.
public protocol SectorSource {
    /// The path (or test name) to name in errors.
    var name: String { get }
    /// The device or image path exactly as given; by default `name`.
    var path: DevicePath { get }
    /// Logical sector size in bytes: 512 or 4096.
    var sectorSize: Int { get }
    /// Size of the whole device in bytes.
    var byteCount: UInt64 { get }
    /// Reads exactly `count` bytes at byte `offset`, or throws.
    func read(at offset: UInt64, count: Int) throws -> [UInt8]
}

extension SectorSource {
    public var sectorCount: UInt64 { byteCount / UInt64(sectorSize) }

    public var path: DevicePath { DevicePath(name) }

    /// Reads `count` logical sectors from `lba`, refusing ranges past the end
    /// (with an error naming the structure) before any allocation is made.
    func readSectors(_ lba: UInt64, count: Int, for structure: String) throws -> [UInt8] {
        let size = UInt64(sectorSize)
        let (end, overflow) = lba.addingReportingOverflow(UInt64(count))
        guard !overflow, count >= 0, end <= sectorCount else {
            throw LDMError(.invalid, device: displayName, location: structure,
                           "sectors \(lba)..+\(count) lie past the end of the device (\(sectorCount) sectors)")
        }
        do {
            return try read(at: lba * size, count: count * sectorSize)
        } catch let error as LDMError {
            throw error
        } catch {
            throw LDMError(.io, device: displayName, location: structure, "read failed: \(error)")
        }
    }

    /// The source's name made safe to print.
    public var displayName: String { path.display }
}

/// An in-memory disk, for tests and the fuzzer.
public struct MemorySectorSource: SectorSource, Sendable {
    public let name: String
    public let sectorSize: Int
    public let bytes: [UInt8]

    public init(name: String, sectorSize: Int = 512, bytes: [UInt8]) {
        self.name = name
        self.sectorSize = sectorSize
        self.bytes = bytes
    }

    public var byteCount: UInt64 { UInt64(bytes.count) }

    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard offset <= UInt64(bytes.count), UInt64(count) <= UInt64(bytes.count) - offset else {
            throw LDMError(.io, device: displayName, location: "read", "short read at byte \(offset)")
        }
        return Array(bytes[Int(offset)..<Int(offset) + count])
    }
}
