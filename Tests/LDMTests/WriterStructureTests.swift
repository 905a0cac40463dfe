import XCTest
@testable import LDMWriter
@testable import LDM

/// Structure-level checks of what the image writer produces.
final class WriterStructureTests: XCTestCase {
    let MiB = ImageSpec.MiB

    func be(_ b: [UInt8], _ off: Int, _ n: Int) -> UInt64 { StrictLDM.be(b, off, n) }
    func le(_ b: [UInt8], _ off: Int, _ n: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in (0..<n).reversed() { v = v << 8 | UInt64(b[off + i]) }
        return v
    }

    /// A small MBR group with every volume type, on 16 MiB disks.
    func smallSpec(vblkSize: Int = 128, sectorSize: Int = 512) -> ImageSpec {
        ImageSpec(groups: [.init(
            name: "Small", vblkSize: vblkSize,
            disks: (1...3).map { .init(name: "Disk\($0)", sizeBytes: 16 * MiB, sectorSize: sectorSize) },
            volumes: [
                .init(name: "S", kind: .simple, sizeBytes: 1 * MiB, disks: ["Disk1"]),
                .init(name: "Sp", kind: .spanned, sizeBytes: 3 * MiB, disks: ["Disk1", "Disk2"],
                      spanBytes: [1 * MiB, 2 * MiB]),
                .init(name: "St", kind: .striped, sizeBytes: 2 * MiB, disks: ["Disk2", "Disk3"]),
                .init(name: "M", kind: .mirrored, sizeBytes: 1 * MiB, disks: ["Disk1", "Disk3"]),
                .init(name: "R", kind: .raid5, sizeBytes: 2 * MiB, disks: ["Disk1", "Disk2", "Disk3"]),
            ])])
    }

    /// The reader's CRC32 (eight bytes a step, then the tail) against the
    /// known answer and the writer's plain one, for every length around a
    /// step, from unaligned slices, and over a non-contiguous collection.
    func testReaderCRC32MatchesWriter() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        let bytes = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for start in 0..<9 {
            for end in start...bytes.count {
                XCTAssertEqual(CRC32.checksum(bytes[start..<end]), ImageCRC32.checksum(Array(bytes[start..<end])), "\(start)..<\(end)")
            }
        }
        XCTAssertEqual(CRC32.checksum(bytes.lazy.map { $0 }), ImageCRC32.checksum(bytes))
    }

    /// The reader's PRIVHEAD/TOCBLOCK sum (eight bytes a step, the
    /// checksum field taken out after) against the writer's byte-by-byte
    /// one, on sectors of varied bytes, and on short and long buffers.
    func testReaderLDMChecksumMatchesWriter() {
        for seed in 0..<8 {
            for count in [512, 513, 520, 4096] {
                let sector = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* (seed * 2 + 1) &+ seed &* 77) }
                XCTAssertEqual(LDMChecksum.compute(sector), ImageLDMChecksum.sum(sector), "seed \(seed), \(count) bytes")
                XCTAssertEqual(LDMChecksum.compute(ImageLDMChecksum.sealed(sector)), LDMChecksum.stored(ImageLDMChecksum.sealed(sector)))
            }
        }
        for count in 0..<16 {  // fewer bytes than the checksum field's end
            let short = [UInt8](repeating: 0xFF, count: count)
            XCTAssertEqual(LDMChecksum.compute(short), ImageLDMChecksum.sum(short), "\(count) bytes")
        }
    }

    func testCRC32AndSHA256KnownAnswers() {
        XCTAssertEqual(ImageCRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(ContentDigest.hex(ContentDigest().finalize()),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var d = ContentDigest()
        d.update(Array("abc".utf8))
        XCTAssertEqual(ContentDigest.hex(d.finalize()),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var long = ContentDigest()  // crosses block boundaries in odd pieces
        for _ in 0..<1000 { long.update([UInt8](repeating: 0x61, count: 1000)) }
        XCTAssertEqual(ContentDigest.hex(long.finalize()),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testContentPatternIsDeterministicAndLabelled() {
        let a = VolumeContent.sector(group: "G", volume: "V", index: 7)
        XCTAssertEqual(a.count, 512)
        XCTAssertEqual(a, VolumeContent.sector(group: "G", volume: "V", index: 7))
        XCTAssertTrue(a.starts(with: Array("LDMCTL G/V sector 7\n".utf8)))
        XCTAssertNotEqual(a, VolumeContent.sector(group: "G", volume: "V", index: 8))
        XCTAssertNotEqual(Array(a[20...]), Array(VolumeContent.sector(group: "G", volume: "W", index: 7)[20...]))
        // Pinned: the pattern is a contract with other tests and tools.
        var d = ContentDigest()
        for i in 0..<4 { d.update(VolumeContent.sector(group: "G", volume: "V", index: UInt64(i))) }
        XCTAssertEqual(VolumeContent.sha256(group: "G", volume: "V", sectors: 4), ContentDigest.hex(d.finalize()))
        XCTAssertEqual(VolumeContent.bytes(group: "G", volume: "V", sectors: 7..<9),
                       a + VolumeContent.sector(group: "G", volume: "V", index: 8))
        let longName = String(repeating: "v", count: 255)
        let s = VolumeContent.sector(group: String(repeating: "g", count: 31), volume: longName, index: .max)
        XCTAssertEqual(s.count, 512)
    }

    func testPlanNamesIdsAndPlacement() throws {
        let g = try ImageWriter.plan(SampleSpecs.standard())[0]
        let ids = [g.objectID] + g.disks.map(\.objectID) + g.volumes.flatMap {
            [$0.objectID] + $0.components.map(\.objectID) + $0.partitions.map(\.objectID)
        }
        XCTAssertEqual(Set(ids).count, ids.count, "object ids are unique")
        let striped = try XCTUnwrap(g.volume(named: "Striped"))
        XCTAssertEqual(striped.partitions.map(\.name), ["Disk1-02", "Disk2-02", "Disk3-02"])
        XCTAssertEqual(striped.partitions.map(\.column), [0, 1, 2])
        XCTAssertEqual(striped.chunkSize, 128)
        XCTAssertEqual(striped.components.map(\.name), ["Striped-01"])
        let spanned = try XCTUnwrap(g.volume(named: "Spanned"))
        XCTAssertEqual(spanned.partitions.map(\.volumeOffset), [0, 12288])
        XCTAssertEqual(spanned.partitions.map(\.size), [12288, 20480])
        let mirror = try XCTUnwrap(g.volume(named: "Mirror"))
        XCTAssertEqual(mirror.components.map(\.name), ["Mirror-01", "Mirror-02"])
        for v in g.volumes {
            for p in v.partitions { XCTAssertEqual(p.start % 2048, 0, "\(p.name) starts on 1 MiB") }
        }
        // First fit: Disk1's second partition follows the first.
        XCTAssertEqual(striped.partitions[0].start, 16384)
    }

    func testMBRDiskStructures() throws {
        let images = try ImageWriter.write(smallSpec())
        for image in images {
            let b = image.bytes(includeContent: false)
            XCTAssertEqual(b.count, 16 * Int(MiB))
            XCTAssertEqual(b[0x1C2], 0x42)
            XCTAssertEqual(le(b, 0x1C6, 4), 63)
            XCTAssertEqual(le(b, 0x1CA, 4), 32768 - 63)
            let db = image.layout.database
            let config = UInt64(32768 - 2048) * 512
            XCTAssertEqual(db.primaryPrivhead, 6 * 512)
            XCTAssertEqual(db.privheads, [6 * 512, config + 1856 * 512, config + 2047 * 512])
            XCTAssertEqual(db.tocblocks, [1, 2, 2045, 2046].map { config + $0 * 512 })
            XCTAssertEqual(db.vmdb, config + 17 * 512)
            let ph = Array(b[3072..<3584])
            for off in db.privheads { XCTAssertEqual(Array(b[Int(off)..<Int(off) + 512]), ph) }
            let strict = try StrictLDM(b)
            XCTAssertEqual(strict.dataStart, 63)
            XCTAssertEqual(strict.dataSize, 32768 - 2048 - 63)
            XCTAssertEqual(strict.lastSequence % 4, 0, "last used sector filled")
            XCTAssertEqual(strict.lastSequence, 4 + db.slots.count)
            XCTAssertEqual(strict.counts, [5, 6, 10, 3], "volumes, components, partitions, disks")
            XCTAssertEqual(strict.records.count, 1 + 3 + 5 + 6 + 10)
            XCTAssertEqual(db.slots.filter { $0.fragments == 0 }.count, strict.lastSequence - 4 - db.slots.filter { $0.fragments > 0 }.count)
        }
    }

    func testRecordsMatchThePlan() throws {
        let spec = smallSpec()
        let g = try ImageWriter.plan(spec)[0]
        let strict = try StrictLDM(try ImageWriter.write(spec)[1].bytes(includeContent: false))
        let byName = Dictionary(uniqueKeysWithValues: strict.records.map { (String(decoding: $0.name, as: UTF8.self), $0) })
        for v in g.volumes {
            let r = try XCTUnwrap(byName[v.name])
            XCTAssertEqual(r.type, 0x51)
            XCTAssertEqual(r.fields["size"], v.size)
            XCTAssertEqual(r.fields["components"], UInt64(v.components.count))
            XCTAssertEqual(r.strings["type"], Array((v.kind == .raid5 ? "raid5" : "gen").utf8))
            for c in v.components {
                let cr = try XCTUnwrap(byName[c.name])
                XCTAssertEqual(cr.fields["parent"], v.objectID)
                XCTAssertEqual(cr.fields["type"], UInt64(c.type))
                XCTAssertEqual(cr.fields["chunk"], c.type == 2 ? nil : v.chunkSize)
                for p in c.partitions {
                    let pr = try XCTUnwrap(byName[p.name])
                    XCTAssertEqual(pr.fields["start"], p.start)
                    XCTAssertEqual(pr.fields["size"], p.size)
                    XCTAssertEqual(pr.fields["volumeOffset"], p.volumeOffset)
                    XCTAssertEqual(pr.fields["column"], p.column == 0 ? nil : p.column)
                    XCTAssertEqual(pr.fields["parent"], c.objectID)
                    XCTAssertEqual(pr.fields["disk"], g.disks[p.diskIndex].objectID)
                }
            }
        }
    }

    func testLongNamesSplitOverFragments() throws {
        let long = String(repeating: "x", count: 255)
        let spec = ImageSpec(groups: [.init(
            name: String(repeating: "G", count: 31),
            disks: [.init(name: long, sizeBytes: 8 * MiB), .init(name: "D2", sizeBytes: 8 * MiB)],
            volumes: [.init(name: long, kind: .spanned, sizeBytes: 2 * MiB, disks: [long, "D2"],
                            driveHint: String(repeating: "h", count: 100))])])
        let image = try ImageWriter.write(spec)[0]
        let strict = try StrictLDM(image.bytes(includeContent: false))
        let fragments = strict.records.map(\.fragments)
        XCTAssertEqual(fragments.max(), 4, "the longest record uses 4 fragments")
        XCTAssertTrue(fragments.contains(3) || fragments.contains(2))
        let volume = try XCTUnwrap(strict.records.first { $0.type == 0x51 })
        XCTAssertEqual(volume.name, Array(long.utf8))
        XCTAssertEqual(volume.strings["hint"]?.count, 100)
        // Component and partition names are cut so "-01" still fits a vstr.
        let component = try XCTUnwrap(strict.records.first { $0.type == 0x32 })
        XCTAssertEqual(component.name.count, 255)
        XCTAssertTrue(component.name.suffix(3) == Array("-01".utf8))
        // Multi-byte names are cut on a character boundary.
        let cut = ImagePlanner.childName("x" + String(repeating: "é", count: 127), "-01")
        XCTAssertEqual(cut, "x" + String(repeating: "é", count: 125) + "-01", "half an é is dropped")
        let cut2 = ImagePlanner.childName(String(repeating: "é", count: 128), "-01")
        XCTAssertEqual(cut2, String(repeating: "é", count: 126) + "-01")
        let named = strict.records.filter { $0.name == Array(long.utf8) }
        XCTAssertEqual(named.count, 2, "volume and disk record")
        XCTAssertEqual(image.layout.database.slots(of: long).count, named.map(\.fragments).reduce(0, +))
        XCTAssertEqual(image.layout.database.slots(of: long).map(\.fragment), [0, 1, 2, 3, 0, 1, 2, 3])

        // A 255-byte name and a 255-byte hint exceed four 128-byte slots.
        var tooLong = spec
        tooLong.groups[0].volumes[0].driveHint = String(repeating: "h", count: 255)
        XCTAssertThrowsError(try ImageWriter.write(tooLong)) { error in
            guard case ImageWriterError.recordTooLarge(let object, let bytes, 448) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(object, long)
            XCTAssertGreaterThan(bytes, 448)
        }
        // Smaller slots: the same names no longer fit in four fragments.
        var small = spec
        small.groups[0].vblkSize = 64
        XCTAssertThrowsError(try ImageWriter.write(small)) { error in
            guard case ImageWriterError.recordTooLarge = error else { return XCTFail("\(error)") }
        }
        // With 256-byte slots a short spec needs one slot per record, two per sector.
        var big = smallSpec(vblkSize: 256)
        big.groups[0].volumes[0].name = String(repeating: "n", count: 200)
        let s2 = try StrictLDM(try ImageWriter.write(big)[0].bytes(includeContent: false))
        XCTAssertEqual(s2.lastSequence % 2, 0)
        XCTAssertEqual(s2.records.map(\.fragments).max(), 2)
    }

    func testRevision4RecordsAndVista() throws {
        var spec = smallSpec()
        spec.groups[0].recordRevision = 4
        spec.groups[0].privheadMinor = 12
        for i in spec.groups[0].disks.indices { spec.groups[0].disks[i].recordRevision = 4 }
        let g = try ImageWriter.plan(spec)[0]
        let image = try ImageWriter.write(spec)[0]
        let b = image.bytes(includeContent: false)
        XCTAssertEqual(le(b, 0x1C6, 4), 2048, "Vista-style data start on 1 MiB")
        let strict = try StrictLDM(b)
        XCTAssertEqual(strict.records.first?.type, 0x45)
        let disk = try XCTUnwrap(strict.records.first { $0.type == 0x44 && $0.name == Array("Disk1".utf8) })
        XCTAssertEqual(disk.strings["guid"], ImageGUID(g.disks[0].guid)!.bytes)
        XCTAssertEqual(be(b, 3072 + 0x0E, 2), 12)
    }

    func testGPTDiskStructures() throws {
        for ss in [512, 4096] {
            let images = try ImageWriter.write(SampleSpecs.standard(sectorSize: ss)).filter { $0.groupName == SampleSpecs.gptGroupName }
            XCTAssertEqual(images.count, 2)
            for image in images {
                let b = image.bytes(includeContent: false)
                let total = UInt64(32 * MiB) / UInt64(ss)
                XCTAssertEqual(b[0x1C2], 0xEE)
                let gpt = try XCTUnwrap(image.layout.gpt)
                for (h, current, backup) in [(Int(gpt.primaryHeader), UInt64(1), total - 1),
                                             (Int(gpt.backupHeader), total - 1, UInt64(1))] {
                    let header = Array(b[h..<h + 92])
                    XCTAssertEqual(Array(header[0..<8]), Array("EFI PART".utf8))
                    var zeroed = header
                    for i in 16..<20 { zeroed[i] = 0 }
                    XCTAssertEqual(le(header, 16, 4), UInt64(ImageCRC32.checksum(zeroed)), "header CRC")
                    XCTAssertEqual(le(header, 24, 8), current)
                    XCTAssertEqual(le(header, 32, 8), backup)
                    let entries = Int(le(header, 72, 8)) * ss
                    XCTAssertEqual(le(header, 88, 4), UInt64(ImageCRC32.checksum(b[entries..<entries + 16384])), "entries CRC")
                }
                // Entry 0: LDM metadata (mixed-endian type GUID), holding the database.
                let e = Int(gpt.primaryEntries)
                XCTAssertEqual(Array(b[e..<e + 4]), [0xAA, 0xC8, 0x08, 0x58])
                let first = le(b, e + 32, 8), last = le(b, e + 40, 8)
                XCTAssertEqual((last - first + 1) * UInt64(ss), MiB)
                let db = image.layout.database
                XCTAssertEqual(db.primaryPrivhead, last * UInt64(ss), "PRIVHEAD in the metadata partition's last LBA")
                let ph = Array(b[Int(db.primaryPrivhead)..<Int(db.primaryPrivhead) + 512])
                XCTAssertEqual(Array(ph[0..<8]), Array("PRIVHEAD".utf8))
                XCTAssertEqual(be(ph, 0x12B, 8), first, "config start = metadata partition")
                let dataEntry = e + 2 * 128
                XCTAssertEqual(Array(b[dataEntry..<dataEntry + 4]), [0xA0, 0x60, 0x9B, 0xAF])
                XCTAssertEqual(be(ph, 0x11B, 8), le(b, dataEntry + 32, 8), "data start = LDM data partition")
                XCTAssertEqual(be(ph, 0x123, 8), le(b, dataEntry + 40, 8) - le(b, dataEntry + 32, 8) + 1)
                let dbSectors = MiB / UInt64(ss)
                XCTAssertEqual(db.tocblocks, [1, 2, dbSectors - 3, dbSectors - 2].map { (first + $0) * UInt64(ss) })
                XCTAssertEqual(db.privheads, [(first + 1856 * 512 / UInt64(ss)) * UInt64(ss), (first + dbSectors - 1) * UInt64(ss)])
                XCTAssertEqual(db.vmdb, (first + 17) * UInt64(ss))
                for t in db.tocblocks { XCTAssertEqual(Array(b[Int(t)..<Int(t) + 8]), Array("TOCBLOCK".utf8)) }
                XCTAssertEqual(Array(b[Int(db.vmdb)..<Int(db.vmdb) + 4]), Array("VMDB".utf8))
            }
        }
    }

    func testRAID5RowParityAndLeftSymmetricData() throws {
        let spec = smallSpec()
        let g = try ImageWriter.plan(spec)[0]
        let images = try ImageWriter.write(spec)
        let raid = try XCTUnwrap(g.volume(named: "R"))
        let chunk = Int(raid.chunkSize) * 512
        let cols = raid.partitions.map { p -> [UInt8] in
            let image = images[p.diskIndex]
            return image.read(at: (g.disks[p.diskIndex].dataStart + p.start) * 512, count: Int(p.size) * 512, includeContent: true)
        }
        for row in 0..<(cols[0].count / chunk) {
            let range = row * chunk..<(row + 1) * chunk
            var x = [UInt8](repeating: 0, count: chunk)
            for c in cols { for (i, v) in c[range].enumerated() { x[i] ^= v } }
            XCTAssertTrue(x.allSatisfy { $0 == 0 }, "row \(row): parity is the XOR of the data chunks")
            let parity = 2 - row % 3
            XCTAssertEqual(Int(WindowsRAID5Layout.parityColumn(row: UInt64(row), columns: 3)), parity)
            for k in 0..<2 {
                let column = (parity + 1 + k) % 3
                let firstSector = UInt64((row * 2 + k) * chunk / 512)
                XCTAssertEqual(Array(cols[column][range.lowerBound..<range.lowerBound + 512]),
                               VolumeContent.sector(group: "Small", volume: "R", index: firstSector),
                               "row \(row) data chunk \(k) in column \(column)")
            }
        }
    }

    func testEveryVolumeReassemblesToItsKnownContent() throws {
        for ss in [512, 4096] {
            try checkReassembly(sectorSize: ss)
        }
    }

    func checkReassembly(sectorSize ss: Int) throws {
        let spec = smallSpec(sectorSize: ss)
        let g = try ImageWriter.plan(spec)[0]
        let images = try ImageWriter.write(spec)
        for v in g.volumes {
            func part(_ p: PlannedPartition) -> [UInt8] {
                images[p.diskIndex].read(at: (g.disks[p.diskIndex].dataStart + p.start) * UInt64(ss),
                                         count: Int(p.size) * ss, includeContent: true)
            }
            let parts = v.partitions.map(part)
            let chunk = Int(v.chunkSize) * ss
            var volume: [UInt8] = []
            switch v.kind {
            case .simple, .spanned: volume = parts.flatMap { $0 }
            case .mirrored:
                XCTAssertEqual(parts[0], parts[1])
                volume = parts[0]
            case .striped:
                for row in 0..<(parts[0].count / chunk) { for c in parts { volume += c[row * chunk..<(row + 1) * chunk] } }
            case .raid5:
                for row in 0..<(parts[0].count / chunk) {
                    for k in 0..<UInt64(parts.count - 1) {
                        let c = Int(WindowsRAID5Layout.dataColumn(chunk: k, row: UInt64(row), columns: UInt64(parts.count)))
                        volume += parts[c][row * chunk..<(row + 1) * chunk]
                    }
                }
            }
            XCTAssert(volume == VolumeContent.bytes(group: "Small", volume: v.name, sectors: 0..<v.sizeBytes / 512),
                      "\(v.name) on \(ss)-byte sectors")
        }
    }

    func testSparseFileMatchesBytesAndPatches() throws {
        var image = try ImageWriter.write(smallSpec())[0]
        let slot = try XCTUnwrap(image.layout.database.slots(of: "S").first)
        image.patch(at: slot.offset + 0x14, bytes: [0xFF, 0xFF, 0xFF, 0xFF])  // break the body size
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(image.fileName).path
        try image.write(to: path)
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path))
        XCTAssertEqual([UInt8](data), image.bytes())
        XCTAssertEqual(Array(data[Int(slot.offset) + 0x14..<Int(slot.offset) + 0x18]), [0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertThrowsError(try StrictLDM([UInt8](data)))
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertLessThan(Int(st.st_blocks) * 512, 8 * Int(MiB), "holes where nothing was written")
    }

    func testSpecErrors() {
        func expect(_ spec: ImageSpec, _ check: (ImageWriterError) -> Bool, line: UInt = #line) {
            do {
                _ = try ImageWriter.write(spec)
                XCTFail("no error", line: line)
            } catch {
                XCTAssertTrue(check(error), "\(error)", line: line)
            }
        }
        let disk = ImageSpec.Disk(name: "D", sizeBytes: 8 * MiB)
        func group(_ volumes: [ImageSpec.Volume], name: String = "G", disks: [ImageSpec.Disk]? = nil) -> ImageSpec {
            ImageSpec(groups: [.init(name: name, disks: disks ?? [disk], volumes: volumes)])
        }
        expect(group([], name: String(repeating: "g", count: 32))) { if case .nameTooLong = $0 { true } else { false } }
        expect(group([.init(name: "V", kind: .simple, sizeBytes: MiB, disks: ["X"])])) {
            $0 == .unknownDisk(volume: "V", disk: "X")
        }
        expect(group([.init(name: "V", kind: .simple, sizeBytes: 1000, disks: ["D"])])) { if case .notMultiple = $0 { true } else { false } }
        expect(group([.init(name: "V", kind: .simple, sizeBytes: 64 * MiB, disks: ["D"])])) { if case .noSpace = $0 { true } else { false } }
        expect(group([.init(name: "V", kind: .raid5, sizeBytes: MiB, disks: ["D"])])) { if case .wrongDiskCount = $0 { true } else { false } }
        expect(group([.init(name: "V", kind: .simple, sizeBytes: MiB, disks: ["D"], guid: "nope")])) { if case .invalidGUID = $0 { true } else { false } }
        expect(group([], disks: [disk, disk])) { $0 == .duplicateName(what: "disk", name: "D") }
        expect(group([], disks: [])) { $0 == .emptyGroup("G") }
        var odd = disk
        odd.sectorSize = 1024
        expect(group([], disks: [odd])) { $0 == .unsupported(what: "sector size", value: 1024) }
        let d4k = ImageSpec.Disk(name: "E", sizeBytes: 8 * MiB, sectorSize: 4096)
        expect(group([.init(name: "V", kind: .striped, sizeBytes: 2 * MiB, disks: ["D", "E"])], disks: [disk, d4k])) {
            $0 == .mixedSectorSizes(volume: "V")
        }
    }

    func test4KSectorMBRLayout() throws {
        let image = try ImageWriter.write(SampleSpecs.standard(sectorSize: 4096))[0]
        let b = image.bytes(includeContent: false)
        let total = UInt64(64 * MiB / 4096)
        XCTAssertEqual(b[0x1C2], 0x42)
        XCTAssertEqual(le(b, 0x1C6, 4), 256, "data from 1 MiB")
        let db = image.layout.database
        let config = (total - 256) * 4096
        XCTAssertEqual(db.privheads, [6 * 4096, config + 232 * 4096, config + 255 * 4096])
        XCTAssertEqual(db.tocblocks, [1, 2, 253, 254].map { config + $0 * 4096 })
        XCTAssertEqual(db.vmdb, config + 17 * 4096)
        let ph = Array(b[6 * 4096..<6 * 4096 + 512])
        XCTAssertEqual(be(ph, 0x133, 8), 256)
        XCTAssertEqual(be(ph, 0x11B, 8), 256)
        // Sizes in the records are in 4096-byte sectors.
        let g = try ImageWriter.plan(SampleSpecs.standard(sectorSize: 4096))[0]
        XCTAssertEqual(g.volume(named: "Striped")?.chunkSize, 16)
        XCTAssertEqual(g.volume(named: "Simple")?.size, 2048)
    }

    func testJSONSpecRoundTripAndDefaults() throws {
        let spec = SampleSpecs.standard()
        let data = try JSONEncoder().encode(spec)
        XCTAssertEqual(try JSONDecoder().decode(ImageSpec.self, from: data), spec)
        let minimal = """
            {"groups": [{"name": "J", "disks": [{"name": "D", "sizeBytes": 8388608}],
              "volumes": [{"name": "V", "kind": "simple", "sizeBytes": 1048576, "disks": ["D"]}]}]}
            """
        let decoded = try JSONDecoder().decode(ImageSpec.self, from: Data(minimal.utf8))
        XCTAssertEqual(decoded.groups[0].vblkSize, 128)
        XCTAssertEqual(decoded.groups[0].disks[0].partitionStyle, .mbr)
        XCTAssertEqual(decoded.groups[0].volumes[0].chunkBytes, 65536)
        XCTAssertNoThrow(try ImageWriter.write(decoded))
    }

    func testImagesAreReproducible() throws {
        let a = try ImageWriter.write(smallSpec()).map { $0.bytes(includeContent: false) }
        let b = try ImageWriter.write(smallSpec()).map { $0.bytes(includeContent: false) }
        XCTAssertEqual(a, b)
    }
}

extension WriterStructureTests {
    /// The reader's own code path on an image that never touches the disk.
    func testDiskImageIsASectorSource() throws {
        let image = try ImageWriter.write(smallSpec())[0]
        let source: any SectorSource = image
        XCTAssertEqual(source.sectorSize, 512)
        XCTAssertEqual(source.byteCount, 16 * MiB)
        XCTAssertEqual(try source.read(at: 6 * 512, count: 8), Array("PRIVHEAD".utf8))
        XCTAssertThrowsError(try source.read(at: 16 * MiB - 4, count: 8))
    }
}
