import XCTest
import LDM
import LDMWriter
import DMTable
import LDMTestSupport

/// Bugs the invariants and the fuzzer's arithmetic found, each on the input
/// that showed it. Before each fix these crashed the test process (an
/// arithmetic overflow traps) or failed an invariant.
final class InvariantRegressionTests: XCTestCase {
    /// Two helper devices of one volume with the same name: partition names
    /// "a=b-01" and "a_x3db-01" are both `a_x3db-01` once made device-safe.
    /// `checkUnique` only compared devices of different volumes, so the
    /// mirror planned with its two helpers named alike.
    func testHelpersOfOneVolumeWithCollidingSafeNamesAreRefused() throws {
        let MiB = ImageSpec.MiB
        let spec = ImageSpec(groups: [.init(
            name: "G", disks: [.init(name: "a=b", sizeBytes: 16 * MiB), .init(name: "a_x3db", sizeBytes: 16 * MiB)],
            volumes: [.init(name: "M", kind: .mirrored, sizeBytes: MiB, disks: ["a=b", "a_x3db"])])])
        let inventory = VolumePipeline.checking.run(try ImageWriter.write(spec))
        XCTAssertEqual(inventory.violations, [])
        XCTAssertEqual(inventory.stacks, [], "a volume with two helpers of one name must not be planned")
        XCTAssertTrue(inventory.errors.contains { $0.contains("ldm_part_G_a_x3db-01") }, "\(inventory.errors)")
    }

    // MARK: overflow in sizes from disk

    enum Field { case varying, fixed(Int) }

    /// Replaces one field of `object`'s (unfragmented) record on every disk
    /// with `bytes` (a whole vnum: length byte and value), after skipping
    /// `fields`; the record's body size grows with it.
    func rewrite(_ images: inout [DiskImage], _ object: String, after fields: [Field], with bytes: [UInt8]) throws {
        for i in images.indices {
            let db = images[i].layout.database
            let slot = try XCTUnwrap(db.slots(of: object).first, object)
            XCTAssertEqual(slot.fragments, 1)
            var record = images[i].read(at: slot.offset, count: db.vblkSize, includeContent: false)
            var p = 0x18
            for f in fields {
                switch f {
                case .varying: p += 1 + Int(record[p])
                case .fixed(let n): p += n
                }
            }
            let old = 1 + Int(record[p])
            record.replaceSubrange(p..<p + old, with: bytes)
            record.removeLast(bytes.count - old)            // the slot keeps its size
            let body = Int(be32(record, 0x14)) + bytes.count - old
            record.replaceSubrange(0x14..<0x18, with: [UInt8(body >> 24), UInt8(body >> 16 & 0xFF), UInt8(body >> 8 & 0xFF), UInt8(body & 0xFF)])
            images[i].patch(at: slot.offset, bytes: record)
        }
    }

    func be32(_ b: [UInt8], _ at: Int) -> UInt32 {
        b[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    func vnum(_ value: UInt64) -> [UInt8] { [8] + (0..<8).reversed().map { UInt8(value >> (8 * UInt64($0)) & 0xFF) } }

    func sample(_ sectorSize: Int = 512) throws -> [DiskImage] {
        try ImageWriter.write(SampleSpecs.standard(sectorSize: sectorSize)).filter { $0.groupName == SampleSpecs.mbrGroupName }
    }

    /// Component: id, name, state, type + 4 zero bytes, partition count,
    /// 16 bytes, parent id, 1 byte, then the chunk size.
    let chunkField: [Field] = [.varying, .varying, .varying, .fixed(5), .varying, .fixed(16), .varying, .fixed(1)]

    /// A striped volume whose chunk size times its columns overflows:
    /// the planner's stripe check multiplied without looking.
    func testStripedChunkSizeThatOverflowsIsRefused() throws {
        var images = try sample()
        try rewrite(&images, "Striped-01", after: chunkField, with: vnum(1 << 63))
        try keep("striped-chunk-overflow", images)
        let inventory = VolumePipeline.checking.run(images)
        XCTAssertEqual(inventory.violations, [])
        XCTAssertFalse(inventory.stacks.contains { $0.volumeName == "Striped" })
        XCTAssertTrue(inventory.errors.contains { $0.contains("Striped") }, "\(inventory.errors)")
    }

    /// The same for RAID-5 (a power of two passes the chunk check) and for
    /// 4096-byte disks, where chunk x 8 alone overflows.
    func testRaid5ChunkSizeThatOverflowsIsRefused() throws {
        for (ss, chunk) in [(512, UInt64(1) << 63), (4096, UInt64(1) << 62)] {
            var images = try sample(ss)
            try rewrite(&images, "Raid5-01", after: chunkField, with: vnum(chunk))
            try keep("raid5-chunk-overflow-\(ss)", images)
            let inventory = VolumePipeline.checking.run(images)
            XCTAssertEqual(inventory.violations, [])
            XCTAssertFalse(inventory.stacks.contains { $0.volumeName == "Raid5" }, "\(ss)")
            XCTAssertTrue(inventory.errors.contains { $0.contains("Raid5") }, "\(inventory.errors)")
        }
    }

    /// Partition: id, name, 12 bytes, start, volume offset, then the size.
    /// Two pieces of 2^63 sectors at offsets 0 and 2^63: the sum of the
    /// pieces overflowed while checking that they follow each other.
    func testSpannedPiecesWhoseSizesOverflowAreRefused() throws {
        var images = try sample()
        try rewrite(&images, "Disk2-01", after: [.varying, .varying, .fixed(12), .fixed(8), .fixed(8)], with: vnum(1 << 63))
        try rewrite(&images, "Disk3-01", after: [.varying, .varying, .fixed(12), .fixed(8), .fixed(8)], with: vnum(1 << 63))
        for i in images.indices {
            let slot = try XCTUnwrap(images[i].layout.database.slots(of: "Disk3-01").first)
            let record = images[i].read(at: slot.offset, count: 0x40, includeContent: false)
            let offsetField = slot.offset + UInt64(0x18 + 1 + Int(record[0x18]))
            let nameLength = Int(images[i].read(at: offsetField, count: 1, includeContent: false)[0])
            images[i].patch(at: offsetField + UInt64(1 + nameLength + 12 + 8), bytes: [0x80, 0, 0, 0, 0, 0, 0, 0])
        }
        try keep("spanned-size-overflow", images)
        let inventory = VolumePipeline.checking.run(images)
        XCTAssertEqual(inventory.violations, [])
        XCTAssertTrue(inventory.errors.contains { $0.contains("Spanned") || $0.contains("overflow") }, "\(inventory.errors)")
    }

    // MARK: the fuzzer's inputs

    static var regressions: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/regressions")
    }

    /// The fuzzer's form of a regression input (`FuzzDisks`): the same bytes
    /// the reader reads. It must be in Fuzz/regressions (the fuzzer starts
    /// from there too); LDM_FUZZ_REGRESSIONS_WRITE=1 writes it.
    func keep(_ name: String, _ images: [DiskImage]) throws {
        let bytes = FuzzDisks.seed(from: images)
        let url = Self.regressions.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["LDM_FUZZ_REGRESSIONS_WRITE"] != nil {
            try FileManager.default.createDirectory(at: Self.regressions, withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        XCTAssertEqual(try? Data(contentsOf: url), Data(bytes), "Fuzz/regressions/\(name) is missing or stale")
        // Decoded, it must give what the images give.
        XCTAssertEqual(VolumePipeline.checking.run(FuzzDisks.decode(bytes)).stacks.map(\.volumeName),
                       VolumePipeline.checking.run(images).stacks.map(\.volumeName))
    }

    /// Every input in Fuzz/regressions (crashes the fuzzer found, and the
    /// bugs above in its format), exactly as the fuzzer ran it: no trap,
    /// every invariant, the same result in the reverse disk order.
    func testEveryFuzzRegressionInputHoldsTheInvariants() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.regressions.path).sorted()
        XCTAssertFalse(files.isEmpty)
        for file in files {
            let bytes = [UInt8](try Data(contentsOf: Self.regressions.appendingPathComponent(file)))
            let disks = FuzzDisks.decode(bytes)
            let inventory = VolumePipeline.checking.run(disks)
            XCTAssertEqual(inventory.violations, [], file)
            let reversed = VolumePipeline.checking.run(Array(disks.reversed()))
            XCTAssertEqual(inventory.groups, reversed.groups, file)
            XCTAssertEqual(inventory.stacks, reversed.stacks, file)
        }
    }
}
