import LDMTestSupport
import LDMWriter

/// libFuzzer's own mutator, for use inside the custom one.
@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// Structure-aware mutation. The input is decoded into disks, one of these
/// is applied, and the disks are encoded again, so the framing survives:
///
/// - bytes of one extent (most often the VBLK area) mutated in place;
/// - a GPT header or entry rewritten with extreme values and its CRCs
///   sealed again, on LDM and non-LDM disks alike (a wrong CRC stops the
///   reader before the entries matter);
/// - members that disagree: an extent of one disk copied onto another
///   (its PRIVHEAD, VMDB or records), a disk given twice, a PRIVHEAD's
///   GUIDs or sequence or a VMDB's committed sequence changed on one disk;
/// - or, now and then, the raw input (disk sizes, offsets, disk count).
///
/// PRIVHEAD and TOCBLOCK carry a checksum the reader verifies, so after a
/// mutation most of them are sealed again (as a forger would), letting the
/// fields behind the checksum be reached; one in eight stays torn.
@_cdecl("LLVMFuzzerCustomMutator")
public func ldmFuzzMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var m = Mutation(seed: seed)
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var (sectorSize, disks) = FuzzDisks.parse(input)
    let choice = m.random(20)
    guard choice >= 3, !disks.isEmpty else { return LLVMFuzzerMutate(data, size, maxSize) }
    switch choice {
    case 3..<12: m.mutateExtent(&disks)
    case 12..<15: m.rewriteGPT(&disks[m.random(disks.count)], sectorSize: sectorSize)
    case 15..<17: m.crossDisk(&disks)
    default: m.editHeaders(&disks)
    }
    if m.random(8) != 0 { Mutation.sealChecksums(&disks) }
    let out = FuzzDisks.encode(sectorSize: sectorSize, disks: Array(disks.prefix(FuzzDisks.maxDisks)).map(Mutation.capped))
    guard out.count <= maxSize else { return LLVMFuzzerMutate(data, size, maxSize) }
    out.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: out.count) }
    return out.count
}

struct Mutation {
    var rng: UInt32
    init(seed: UInt32) { rng = seed }

    mutating func random(_ n: Int) -> Int {
        rng = rng &* 1_103_515_245 &+ 12345
        return Int((rng >> 8) % UInt32(max(n, 1)))
    }

    mutating func random64() -> UInt64 {
        (0..<4).reduce(0) { v, _ in v << 16 | UInt64(random(1 << 16)) }
    }

    /// Every sector-aligned PRIVHEAD or TOCBLOCK in the disks' extents
    /// gets its checksum recomputed.
    static func sealChecksums(_ disks: inout [FuzzDisks.Disk]) {
        let privhead = Array("PRIVHEAD".utf8), tocblock = Array("TOCBLOCK".utf8)
        for d in disks.indices {
            for e in disks[d].extents.indices {
                let (offset, bytes) = disks[d].extents[e]
                var out = bytes
                var p = Int((512 - offset % 512) % 512)
                while p + 512 <= out.count {
                    let magic = Array(out[p..<p + 8])
                    if magic == privhead || magic == tocblock {
                        out.replaceSubrange(p..<p + 512, with: ImageLDMChecksum.sealed(Array(out[p..<p + 512])))
                    }
                    p += 512
                }
                if out != bytes { disks[d].extents[e].bytes = out }
            }
        }
    }

    static func capped(_ d: FuzzDisks.Disk) -> FuzzDisks.Disk {
        var d = d
        d.extents = Array(d.extents.prefix(FuzzDisks.maxExtents))
        return d
    }

    // MARK: bytes of one extent

    mutating func mutateExtent(_ disks: inout [FuzzDisks.Disk]) {
        let extents = disks.indices.flatMap { d in disks[d].extents.indices.map { (d, $0) } }
        guard !extents.isEmpty else { return }
        // Bigger extents (the VBLK area) are picked more often.
        let weights = extents.map { min(disks[$0.0].extents[$0.1].bytes.count, 4096) + 16 }
        var pick = random(weights.reduce(0, +))
        var chosen = extents[0]
        for (e, w) in zip(extents, weights) {
            if pick < w { chosen = e; break }
            pick -= w
        }
        var bytes = disks[chosen.0].extents[chosen.1].bytes
        let original = bytes.count
        let room = random(4) == 0 ? 64 : 0
        bytes += [UInt8](repeating: 0, count: room + 1)
        let n = bytes.withUnsafeMutableBufferPointer { LLVMFuzzerMutate($0.baseAddress!, original, original + room) }
        bytes.removeLast(bytes.count - n)
        // Mostly keep the length, so later fields do not move.
        if n < original, random(2) == 0 { bytes += [UInt8](repeating: 0, count: original - n) }
        disks[chosen.0].extents[chosen.1].bytes = bytes
    }

    // MARK: GPT

    static let entryBytes = 128 * 128
    static let types = [GPTForgery.basicDataType, GPTForgery.ldmMetadataType, GPTForgery.ldmDataType,
                        "00000000-0000-0000-0000-000000000000"]

    /// LBAs that break arithmetic, and LBAs that fit this disk.
    mutating func extremeLBA(_ sectors: UInt64) -> UInt64 {
        let values: [UInt64] = [0, 1, 2, 33, 34, sectors / 2, sectors &- 34, sectors &- 1, sectors, sectors &+ 1,
                                UInt64.max, UInt64.max - 1, 1 << 63, 1 << 32, UInt64.max / 512, UInt64.max / 4096 + 1]
        return random(5) == 0 ? random64() : values[random(values.count)]
    }

    mutating func rewriteGPT(_ disk: inout FuzzDisks.Disk, sectorSize ss: Int) {
        // Sector 0 (protective MBR), sector 1 (header), the entry array.
        var area = disk.materialize(count: 2 * ss + Self.entryBytes)
        var header = Array(area[ss..<2 * ss])
        if Array(header[0..<8]) != Array("EFI PART".utf8) || random(8) == 0 {
            // A fresh GPT: protective MBR, header, empty entries.
            area[446 + 4] = 0xEE
            area[510] = 0x55; area[511] = 0xAA
            header = [UInt8](repeating: 0, count: ss)
            header.replaceSubrange(0..<8, with: Array("EFI PART".utf8))
            Self.le(&header, 8, 0x0001_0000, 4)
            Self.le(&header, 12, 92, 4)
            Self.le(&header, 72, 2, 8)
            Self.le(&header, 80, 128, 4)
            Self.le(&header, 84, 128, 4)
            area.replaceSubrange(2 * ss..<2 * ss + Self.entryBytes, with: [UInt8](repeating: 0, count: Self.entryBytes))
        }
        var entries = Array(area[2 * ss..<2 * ss + Self.entryBytes])
        for _ in 0...random(3) {
            if random(6) == 0 {
                // A header field: entry count or size, entries LBA, header size.
                switch random(4) {
                case 0: Self.le(&header, 80, [0, 1, 4, 128, 1024, 1025, UInt64(UInt32.max)][random(7)], 4)
                case 1: Self.le(&header, 84, [0, 8, 128, 136, 1024, 1032, UInt64(UInt32.max)][random(7)], 4)
                case 2: Self.le(&header, 72, extremeLBA(disk.sectors), 8)
                default: Self.le(&header, 12, [0, 91, 92, 93, UInt64(ss), UInt64(ss) + 1][random(6)], 4)
                }
            } else {
                let index = random(4) == 0 ? random(128) : random(4)
                GPTForgery.setEntry(&entries, index: index, type: Self.types[random(Self.types.count)],
                                    first: extremeLBA(disk.sectors), last: extremeLBA(disk.sectors))
            }
        }
        if random(10) != 0 { GPTForgery.reseal(header: &header, entries: entries) }
        area.replaceSubrange(ss..<2 * ss, with: header)
        area.replaceSubrange(2 * ss..<2 * ss + Self.entryBytes, with: entries)
        disk.overlay(area, at: 0)
    }

    static func le(_ b: inout [UInt8], _ at: Int, _ v: UInt64, _ width: Int) {
        for k in 0..<width { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
    }

    static func be(_ b: inout [UInt8], _ at: Int, _ v: UInt64, _ width: Int) {
        for k in 0..<width { b[at + width - 1 - k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
    }

    // MARK: disks that disagree

    mutating func crossDisk(_ disks: inout [FuzzDisks.Disk]) {
        let a = random(disks.count)
        if random(4) == 0 || disks.count == 1 {
            // The same disk twice (or a clone of it).
            if disks.count < FuzzDisks.maxDisks { disks.insert(disks[a], at: random(disks.count + 1)) }
            return
        }
        var b = random(disks.count - 1)
        if b >= a { b += 1 }
        guard !disks[a].extents.isEmpty else { return }
        // One structure of one disk onto another: its PRIVHEAD, TOCBLOCK,
        // VMDB or records; the other keeps the rest of its own.
        let e = disks[a].extents[random(disks[a].extents.count)]
        disks[b].overlay(e.bytes, at: e.offset)
    }

    /// Where `magic` starts inside an extent of `disk`, as (extent, index).
    func find(_ magic: String, in disk: FuzzDisks.Disk, after: Int) -> [(Int, Int)] {
        let m = Array(magic.utf8)
        var out: [(Int, Int)] = []
        for (k, e) in disk.extents.enumerated() where e.bytes.count >= after {
            var i = 0
            while i + after <= e.bytes.count {
                if e.bytes[i] == m[0], e.bytes[i..<min(i + m.count, e.bytes.count)].elementsEqual(m) { out.append((k, i)) }
                i += 1
            }
        }
        return out
    }

    mutating func editHeaders(_ disks: inout [FuzzDisks.Disk]) {
        let d = random(disks.count)
        let other = disks[random(disks.count)]
        if random(2) == 0 {
            // PRIVHEAD: disk GUID, group GUID and name from another disk, or
            // the update sequence.
            let mine = find("PRIVHEAD", in: disks[d], after: 0x110)
            guard !mine.isEmpty else { return }
            let theirs = find("PRIVHEAD", in: other, after: 0x110)
            let fields = [(0x30, 64), (0xB0, 64), (0xF0, 32), (0x18, 8)]
            let (offset, width) = fields[random(fields.count)]
            // Exactly `width` bytes: a field never moves what follows it.
            var value = [UInt8](repeating: 0, count: width)
            if offset != 0x18, let (k, i) = theirs.randomElement(using: &self) {
                value = Array(other.extents[k].bytes[i + offset..<i + offset + width])
            } else if offset == 0x18 {
                Self.be(&value, 0, random(2) == 0 ? UInt64(random(4)) : random64(), 8)
            } else {
                return
            }
            // Every copy on the disk, or just one.
            let targets = random(3) == 0 ? [mine[random(mine.count)]] : mine
            for (k, i) in targets {
                disks[d].extents[k].bytes.replaceSubrange(i + offset..<i + offset + width, with: value)
            }
        } else {
            // VMDB committed sequence: another disk's, one more, or anything.
            let mine = find("VMDB", in: disks[d], after: 0x85)
            guard let (k, i) = mine.first else { return }
            var base: UInt64 = 0
            if let (ok, oi) = find("VMDB", in: other, after: 0x85).first {
                base = other.extents[ok].bytes[oi + 0x75..<oi + 0x7D].reduce(0) { $0 << 8 | UInt64($1) }
            }
            let value = [base, base &+ 1, base &- 1, random64()][random(4)]
            Self.be(&disks[d].extents[k].bytes, i + 0x75, value, 8)
        }
    }
}

extension Mutation: RandomNumberGenerator {
    mutating func next() -> UInt64 { random64() }
}

extension FuzzDisks.Disk {
    /// Bytes 0..<count of the disk as the reader would see them.
    func materialize(count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        for e in extents where e.offset < UInt64(count) {
            let start = Int(e.offset), n = min(e.bytes.count, count - start)
            out.replaceSubrange(start..<start + n, with: e.bytes[0..<n])
        }
        return out
    }

    /// Writes `bytes` at `offset` over whatever was there, keeping only
    /// the non-zero runs as extents (the area is mostly zeros).
    mutating func overlay(_ bytes: [UInt8], at offset: UInt64) {
        let (end, overflow) = offset.addingReportingOverflow(UInt64(bytes.count))
        guard !overflow else { return }
        var kept: [(offset: UInt64, bytes: [UInt8])] = []
        for e in extents {
            let (eEnd, wraps) = e.offset.addingReportingOverflow(UInt64(e.bytes.count))
            if wraps || eEnd <= offset || e.offset >= end { kept.append(e); continue }
            if e.offset < offset { kept.append((e.offset, Array(e.bytes[0..<Int(offset - e.offset)]))) }
            if eEnd > end { kept.append((end, Array(e.bytes[Int(end - e.offset)...]))) }
        }
        extents = kept + FuzzDisks.extents(of: bytes, at: offset)
    }
}
