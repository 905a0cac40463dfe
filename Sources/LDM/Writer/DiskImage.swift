#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One written disk: its metadata, the volume content it holds, and any
/// patches a test applied. Content is generated on demand, so a 64 MiB image
/// costs little memory; `write(to:)` makes a sparse file.
public struct DiskImage: Sendable {
    public let groupName: String
    /// The disk's name in the database.
    public let name: String
    public let fileName: String
    public let sectorSize: Int
    public let sizeBytes: UInt64
    public let layout: DiskLayout

    let pieces: [ImagePiece]
    let content: [ContentExtent]
    /// Applied last, in order, on top of everything else.
    public private(set) var patches: [(offset: UInt64, bytes: [UInt8])] = []

    struct ContentExtent: Sendable {
        let offset: UInt64
        let length: UInt64
        let source: PartitionContent
    }

    /// Overwrites bytes at `offset` (for bad-input tests); later patches win.
    public mutating func patch(at offset: UInt64, bytes: [UInt8]) {
        patches.append((offset, bytes))
    }

    /// Recomputes the checksum of every PRIVHEAD and TOCBLOCK copy after
    /// patches, as a forger who edits header fields would: tests that alter
    /// a field call it so the reader meets the field, not the checksum.
    public mutating func sealChecksums() {
        for offset in layout.database.privheads + layout.database.tocblocks {
            let sector = read(at: offset, count: 512, includeContent: false)
            patch(at: offset + 8, bytes: Array(ImageLDMChecksum.sealed(sector)[8..<12]))
        }
    }

    /// Bytes `offset ..< offset+count` of the image (zero past the end);
    /// without content the volumes read as zeros.
    public func read(at offset: UInt64, count: Int, includeContent: Bool) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let end = offset + UInt64(count)
        func overlay(_ at: UInt64, _ bytes: [UInt8]) {
            let lo = max(at, offset), hi = min(at + UInt64(bytes.count), end)
            guard lo < hi else { return }
            out.replaceSubrange(Int(lo - offset)..<Int(hi - offset), with: bytes[Int(lo - at)..<Int(hi - at)])
        }
        for p in pieces { overlay(p.offset, p.bytes) }
        if includeContent {
            for c in content {
                let lo = max(c.offset, offset), hi = min(c.offset + c.length, end)
                guard lo < hi else { continue }
                let unit = UInt64(VolumeContent.sectorSize)
                let first = (lo - c.offset) / unit, last = (hi - c.offset + unit - 1) / unit
                var buffer = [UInt8](repeating: 0, count: Int(last - first) * VolumeContent.sectorSize)
                for s in first..<last {
                    c.source.fill(&buffer, at: Int(s - first) * VolumeContent.sectorSize, sector: s)
                }
                overlay(c.offset + first * unit, buffer)
            }
        }
        for p in patches { overlay(p.offset, p.bytes) }
        return out
    }

    /// The whole image in memory (small images and tests only).
    public func bytes(includeContent: Bool = true) -> [UInt8] {
        read(at: 0, count: Int(sizeBytes), includeContent: includeContent)
    }

    /// Writes the image as a sparse file: the file is sized with ftruncate,
    /// and only metadata, volume content and patches are written.
    public func write(to path: String, includeContent: Bool = true) throws(ImageWriterError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw .io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(sizeBytes)) == 0 else { throw .io(path: path, operation: "ftruncate", errno: errno) }
        for p in pieces { try put(fd, p.bytes, at: p.offset, path: path) }
        if includeContent {
            let step: UInt64 = 1 << 20  // generate and write 1 MiB at a time
            for c in content {
                var done: UInt64 = 0
                while done < c.length {
                    let n = min(step, c.length - done)
                    try put(fd, read(at: c.offset + done, count: Int(n), includeContent: true),
                            at: c.offset + done, path: path)
                    done += n
                }
            }
        }
        for p in patches { try put(fd, p.bytes, at: p.offset, path: path) }
    }

    private func put(_ fd: Int32, _ bytes: [UInt8], at offset: UInt64, path: String) throws(ImageWriterError) {
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .io(path: path, operation: "pwrite", errno: errno) }
            done += n
        }
    }
}
