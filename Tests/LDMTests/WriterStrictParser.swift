import LDMWriter

/// A deliberately independent, strict reading of a written 512-byte MBR
/// image, with the checks the Linux kernel's LDM parser makes
/// (block/partitions/ldm.c): three PRIVHEADs that agree, four TOCBLOCKs,
/// VMDB at database sector 17 with version 4.10 and status 1, VBLK magic in
/// every slot below the last sequence number, 1...4 fragments, and body sizes
/// that equal the fields present exactly. Test code only.
struct StrictLDM {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    struct Record {
        let type: UInt8
        let flags: UInt8
        let id: UInt64
        let name: [UInt8]
        let fields: [String: UInt64]
        let strings: [String: [UInt8]]
        let fragments: Int
    }

    var dataStart: UInt64 = 0
    var dataSize: UInt64 = 0
    var configStart: UInt64 = 0
    var diskGUID = ""
    var lastSequence = 0
    var counts: [UInt32] = []
    var records: [Record] = []

    static func be(_ b: [UInt8], _ off: Int, _ n: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<n { v = v << 8 | UInt64(b[off + i]) }
        return v
    }

    init(_ image: [UInt8]) throws {
        let s = 512
        func sector(_ n: UInt64) -> [UInt8] { Array(image[Int(n) * s..<Int(n) * s + s]) }
        let mbr = sector(0)
        guard mbr[510] == 0x55, mbr[511] == 0xAA else { throw Failure("no MBR signature") }
        guard (0..<4).contains(where: { mbr[0x1BE + 16 * $0 + 4] == 0x42 }) else { throw Failure("no 0x42 entry") }

        func privhead(_ b: [UInt8]) throws -> [UInt64] {
            guard Array(b[0..<8]) == Array("PRIVHEAD".utf8) else { throw Failure("PRIVHEAD magic") }
            let major = StrictLDM.be(b, 0x0C, 2), minor = StrictLDM.be(b, 0x0E, 2)
            guard major == 2, minor == 11 || minor == 12 else { throw Failure("PRIVHEAD version \(major).\(minor)") }
            let v = [StrictLDM.be(b, 0x11B, 8), StrictLDM.be(b, 0x123, 8), StrictLDM.be(b, 0x12B, 8),
                     StrictLDM.be(b, 0x133, 8), major, minor]
            guard v[1] > 0, v[0] + v[1] <= v[2] else { throw Failure("PRIVHEAD disk size doesn't match") }
            return v
        }
        let ph = sector(6)
        let primary = try privhead(ph)
        diskGUID = String(decoding: ph[0x30..<0x70].prefix { $0 != 0 }, as: UTF8.self)
        (dataStart, dataSize, configStart) = (primary[0], primary[1], primary[2])
        let configSize = primary[3]
        guard configSize == 2048 else { throw Failure("config size \(configSize)") }
        guard configStart + configSize <= UInt64(image.count / s) else { throw Failure("database past the end") }
        for off: UInt64 in [1856, 2047] {
            let b = sector(configStart + off)
            guard try privhead(b) == primary, b[0x30..<0x70] == ph[0x30..<0x70] else {
                throw Failure("PRIVHEAD copy at +\(off) differs")
            }
        }
        var bitmaps: [[UInt64]] = []
        for off: UInt64 in [1, 2, 2045, 2046] {
            let t = sector(configStart + off)
            guard Array(t[0..<8]) == Array("TOCBLOCK".utf8) else { throw Failure("TOCBLOCK \(off) magic") }
            guard Array(t[0x24..<0x2A]) == Array("config".utf8), t[0x2A] == 0,
                  Array(t[0x46..<0x49]) == Array("log".utf8), t[0x49] == 0 else { throw Failure("TOCBLOCK names") }
            let b = [StrictLDM.be(t, 0x2E, 8), StrictLDM.be(t, 0x36, 8), StrictLDM.be(t, 0x50, 8), StrictLDM.be(t, 0x58, 8)]
            guard b[0] + b[1] <= configSize, b[2] + b[3] <= configSize else { throw Failure("bitmaps out of range") }
            bitmaps.append(b)
        }
        guard Set(bitmaps).count == 1 else { throw Failure("TOCBLOCKs differ") }
        let vm = sector(configStart + 17)
        guard Array(vm[0..<4]) == Array("VMDB".utf8) else { throw Failure("VMDB magic") }
        guard StrictLDM.be(vm, 0x12, 2) == 4, StrictLDM.be(vm, 0x14, 2) == 10 else { throw Failure("VMDB version") }
        guard StrictLDM.be(vm, 0x10, 2) == 1 else { throw Failure("VMDB not consistent") }
        let size = Int(StrictLDM.be(vm, 0x08, 4))
        guard size > 0, 512 % size == 0 else { throw Failure("VBLK size \(size)") }
        lastSequence = Int(StrictLDM.be(vm, 0x04, 4))
        guard UInt64(size * lastSequence) <= bitmaps[0][1] * 512 else { throw Failure("VMDB exceeds config") }
        guard StrictLDM.be(vm, 0x0C, 4) == 512 else { throw Failure("first VBLK offset") }
        counts = (0..<4).map { UInt32(StrictLDM.be(vm, 0x85 + 4 * $0, 4)) }

        // Slots, sector by sector, exactly as the kernel walks them.
        let base = Int(configStart + 17) * s
        var frags: [UInt64: (count: Int, parts: [Int: [UInt8]])] = [:]
        var order: [UInt64] = []
        for sec in 1..<(size * lastSequence / 512) {
            for k in 0..<(512 / size) {
                let off = base + sec * 512 + k * size
                let slot = Array(image[off..<off + size])
                guard Array(slot[0..<4]) == Array("VBLK".utf8) else { throw Failure("slot without VBLK magic") }
                guard StrictLDM.be(slot, 4, 4) == UInt64(sec * 512 / size + k) else { throw Failure("slot sequence") }
                let group = StrictLDM.be(slot, 8, 4), rec = Int(StrictLDM.be(slot, 12, 2)), num = Int(StrictLDM.be(slot, 14, 2))
                if num == 0 { continue }
                guard num <= 4, rec < num else { throw Failure("fragment \(rec) of \(num)") }
                if frags[group] == nil { frags[group] = (num, [:]); order.append(group) }
                guard frags[group]!.count == num, frags[group]!.parts[rec] == nil else { throw Failure("duplicate fragment") }
                frags[group]!.parts[rec] = slot
            }
        }
        // Past the last sequence number the config area must not look like more slots.
        let after = base + lastSequence * size
        guard Array(image[after..<after + 4]) != Array("VBLK".utf8) else { throw Failure("VBLK past last sequence") }
        for g in order {
            let f = frags[g]!
            guard f.parts.count == f.count else { throw Failure("record \(g) incomplete") }
            var data = Array(f.parts[0]![0..<16])
            for i in 0..<f.count { data += f.parts[i]![16...] }
            records.append(try StrictLDM.parse(data, fragments: f.count))
        }
    }

    /// Parses one reassembled record (offsets as in the kernel: header to
    /// 0x18, body after) and checks the body size exactly.
    static func parse(_ r: [UInt8], fragments: Int) throws -> Record {
        var p = 0x18
        func vnum() throws -> UInt64 {
            let n = Int(r[p])
            guard (1...8).contains(n), p + n < r.count else { throw Failure("vnum length \(n)") }
            defer { p += 1 + n }
            return be(r, p + 1, n)
        }
        func vstr() throws -> [UInt8] {
            let n = Int(r[p])
            guard p + n < r.count else { throw Failure("vstr past record") }
            defer { p += 1 + n }
            return Array(r[p + 1..<p + 1 + n])
        }
        func skip(_ n: Int) -> [UInt8] { defer { p += n }; return Array(r[p..<p + n]) }
        let flags = r[0x12], type = r[0x13]
        let id = try vnum(), name = try vstr()
        var f: [String: UInt64] = [:]
        var s: [String: [UInt8]] = [:]
        switch type {
        case 0x35:
            s["guid"] = try vstr(); _ = skip(12)
            if flags & 0x08 != 0 { s["id1"] = try vstr(); s["id2"] = try vstr() }
        case 0x45:
            s["guid"] = skip(16); _ = skip(16 + 12)
            if flags & 0x08 != 0 { s["id1"] = try vstr(); s["id2"] = try vstr() }
        case 0x34:
            s["guid"] = try vstr(); s["alt"] = try vstr(); _ = skip(12)
        case 0x44:
            s["guid"] = skip(16); _ = skip(29)
        case 0x51:
            s["type"] = try vstr(); _ = try vstr(); _ = skip(14)
            f["voltype"] = UInt64(skip(1)[0]); _ = skip(6)  // unknown, number, 3 zeros, flags
            f["components"] = try vnum(); _ = skip(16)
            f["size"] = try vnum(); _ = skip(4)
            f["partitionType"] = UInt64(skip(1)[0]); s["guid"] = skip(16)
            if flags & 0x08 != 0 { _ = try vstr() }
            if flags & 0x20 != 0 { _ = try vstr() }
            if flags & 0x80 != 0 { _ = try vnum() }
            if flags & 0x02 != 0 { s["hint"] = try vstr() }
        case 0x32:
            _ = try vstr(); f["type"] = UInt64(skip(1)[0]); _ = skip(4)
            f["partitions"] = try vnum(); _ = skip(16)
            f["parent"] = try vnum(); _ = skip(1)
            if flags & 0x10 != 0 { f["chunk"] = try vnum(); f["columns"] = try vnum() }
        case 0x33:
            _ = skip(12)
            f["start"] = be(skip(8), 0, 8); f["volumeOffset"] = be(skip(8), 0, 8)
            f["size"] = try vnum(); f["parent"] = try vnum(); f["disk"] = try vnum()
            if flags & 0x08 != 0 { f["column"] = try vnum() }
        default:
            throw Failure("record type \(type)")
        }
        guard be(r, 0x14, 4) == UInt64(p - 0x18) else {
            throw Failure("body size \(be(r, 0x14, 4)) != fields \(p - 0x18) in type \(type)")
        }
        return Record(type: type, flags: flags, id: id, name: name, fields: f, strings: s, fragments: fragments)
    }
}
