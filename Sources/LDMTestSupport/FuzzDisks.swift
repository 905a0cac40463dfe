import LDM

/// The fuzzer's input format: a few small byte strings that stand for big,
/// mostly empty disks. LDM keeps its database in the last megabyte of a
/// disk, so a fuzzer that could only mutate a flat image would spend its
/// bytes on zeros and never reach the VBLK records; here every disk is a
/// claimed size plus the extents that are not zero, each at its own byte
/// offset, and everything else reads as zeros.
///
///     input  := flags disk*
///     flags  := 1 byte: bit 0 set = 4096-byte sectors; bits 1-3 = disks - 1
///     disk   := size:varint(sectors) count:varint extent{count}
///     extent := offset:varint(bytes) length:varint byte{length}
///
/// Varints are LEB128 (7 bits a byte, low bits first). Decoding never
/// fails: a truncated input gives fewer disks or shorter extents, so every
/// mutation is a valid input. Written images encode to this format and read
/// back to the same bytes (`encode`), which is how the seeds are made.
public enum FuzzDisks {
    public static let maxDisks = 8
    /// Caps that keep one input cheap to decode; the reader's own bounds are
    /// what is under test, not these.
    public static let maxExtents = 256

    public struct Disk: Equatable, Sendable {
        public var sectors: UInt64
        public var extents: [(offset: UInt64, bytes: [UInt8])]

        public init(sectors: UInt64, extents: [(offset: UInt64, bytes: [UInt8])]) {
            self.sectors = sectors
            self.extents = extents
        }

        public static func == (a: Disk, b: Disk) -> Bool {
            a.sectors == b.sectors && a.extents.count == b.extents.count
                && zip(a.extents, b.extents).allSatisfy { $0.offset == $1.offset && $0.bytes == $1.bytes }
        }
    }

    /// The disks an input stands for, named `fuzz0`, `fuzz1`, ...
    public static func decode(_ input: [UInt8]) -> [SparseSectorSource] {
        let (sectorSize, disks) = parse(input)
        return disks.enumerated().map { i, d in
            SparseSectorSource(name: "fuzz\(i)", sectorSize: sectorSize, sectors: d.sectors, extents: d.extents)
        }
    }

    /// The disks of an input; with `limit`, only the first `limit` of them
    /// are decoded (the rest is not even copied).
    public static func parse(_ input: [UInt8], limit: Int = maxDisks) -> (sectorSize: Int, disks: [Disk]) {
        guard let flags = input.first else { return (512, []) }
        let sectorSize = flags & 1 == 0 ? 512 : 4096
        let wanted = min(Int((flags >> 1) & 7) + 1, limit)
        var position = 1
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while position < input.count {
                let byte = input[position]
                position += 1
                if shift < 64 { value |= UInt64(byte & 0x7F) << shift }
                shift += 7
                if byte & 0x80 == 0 { return value }
            }
            return nil
        }
        var disks: [Disk] = []
        while disks.count < wanted, let sectors = varint(), let count = varint() {
            var disk = Disk(sectors: sectors, extents: [])
            for _ in 0..<min(count, UInt64(maxExtents)) {
                guard let offset = varint(), let length = varint() else { break }
                let n = Int(min(length, UInt64(input.count - position)))
                disk.extents.append((offset, Array(input[position..<position + n])))
                position += n
            }
            disks.append(disk)
        }
        return (sectorSize, disks)
    }

    public static func encode(sectorSize: Int, disks: [Disk]) -> [UInt8] {
        precondition(!disks.isEmpty && disks.count <= maxDisks && (sectorSize == 512 || sectorSize == 4096))
        var out: [UInt8] = [UInt8(sectorSize == 4096 ? 1 : 0) | UInt8(disks.count - 1) << 1]
        func varint(_ v: UInt64) {
            var v = v
            repeat {
                out.append(UInt8(v & 0x7F) | (v >= 0x80 ? 0x80 : 0))
                v >>= 7
            } while v != 0
        }
        for d in disks {
            precondition(d.extents.count <= maxExtents)
            varint(d.sectors)
            varint(UInt64(d.extents.count))
            for e in d.extents {
                varint(e.offset)
                varint(UInt64(e.bytes.count))
                out += e.bytes
            }
        }
        return out
    }

    /// A seed: what the reader reads of each disk (and nothing else; the
    /// rest reads as zeros), encoded. All sources must share a sector size.
    public static func seed(from sources: [any SectorSource]) -> [UInt8] {
        precondition(!sources.isEmpty)
        let disks = sources.prefix(maxDisks).map { source -> Disk in
            let recorder = RecordingSource(source)
            _ = try? DiskMetadata.read(from: recorder)
            var extents: [(offset: UInt64, bytes: [UInt8])] = []
            for (offset, count) in recorder.merged() {
                guard let bytes = try? source.read(at: offset, count: count) else { continue }
                extents += Self.extents(of: bytes, at: offset)
            }
            return Disk(sectors: source.sectorCount, extents: Array(extents.prefix(maxExtents)))
        }
        return encode(sectorSize: sources[0].sectorSize, disks: disks)
    }

    /// The runs of non-zero bytes of `bytes` (which start at byte `base` of
    /// a disk), joined where fewer than `gap` zeros separate them.
    public static func extents(of bytes: [UInt8], at base: UInt64, gap: Int = 32) -> [(offset: UInt64, bytes: [UInt8])] {
        var out: [(offset: UInt64, bytes: [UInt8])] = []
        var i = 0
        while i < bytes.count {
            guard bytes[i] != 0 else { i += 1; continue }
            var end = i + 1, zeros = 0
            var j = i + 1
            while j < bytes.count, zeros < gap {
                if bytes[j] == 0 { zeros += 1 } else { zeros = 0; end = j + 1 }
                j += 1
            }
            out.append((base + UInt64(i), Array(bytes[i..<end])))
            i = end
        }
        return out
    }
}

/// A disk of any claimed size that holds a few extents of bytes and zeros
/// everywhere else (the fuzzer's disks; also handy for tests of huge disks).
public struct SparseSectorSource: SectorSource, Sendable {
    public let name: String
    public let sectorSize: Int
    public let byteCount: UInt64
    /// Applied in order: a later extent covers an earlier one.
    public let extents: [(offset: UInt64, bytes: [UInt8])]

    /// `sectors` is clamped so the size in bytes fits in 64 bits.
    public init(name: String, sectorSize: Int, sectors: UInt64, extents: [(offset: UInt64, bytes: [UInt8])]) {
        self.name = name
        self.sectorSize = sectorSize
        self.byteCount = min(sectors, UInt64.max / UInt64(max(sectorSize, 1))) * UInt64(max(sectorSize, 1))
        self.extents = extents
    }

    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard count >= 0, offset <= byteCount, UInt64(count) <= byteCount - offset else {
            throw LDMError(.io, device: displayName, location: "read", "short read at byte \(offset)")
        }
        var out = [UInt8](repeating: 0, count: count)
        let end = offset + UInt64(count)
        for e in extents {
            let (eEnd, overflow) = e.offset.addingReportingOverflow(UInt64(e.bytes.count))
            let lo = max(e.offset, offset), hi = min(overflow ? UInt64.max : eEnd, end)
            guard lo < hi else { continue }
            out.replaceSubrange(Int(lo - offset)..<Int(hi - offset), with: e.bytes[Int(lo - e.offset)..<Int(hi - e.offset)])
        }
        return out
    }
}

/// Passes reads through and remembers which byte ranges were read.
final class RecordingSource: SectorSource, @unchecked Sendable {
    let source: any SectorSource
    private(set) var reads: [(offset: UInt64, count: Int)] = []

    init(_ source: any SectorSource) { self.source = source }

    var name: String { source.name }
    var path: DevicePath { source.path }
    var sectorSize: Int { source.sectorSize }
    var byteCount: UInt64 { source.byteCount }

    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        let bytes = try source.read(at: offset, count: count)
        reads.append((offset, count))
        return bytes
    }

    /// The ranges read, sorted and joined where they touch or overlap.
    func merged() -> [(offset: UInt64, count: Int)] {
        var out: [(offset: UInt64, count: Int)] = []
        for r in reads.sorted(by: { $0.offset < $1.offset }) {
            if let last = out.last, r.offset <= last.offset + UInt64(last.count) {
                let end = max(last.offset + UInt64(last.count), r.offset + UInt64(r.count))
                out[out.count - 1].count = Int(end - last.offset)
            } else {
                out.append(r)
            }
        }
        return out
    }
}
