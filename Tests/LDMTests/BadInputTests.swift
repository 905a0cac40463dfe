import XCTest
import LDM
import LDMWriter

/// Every kind of bad input the format allows gets a clear error that names
/// the disk and what is wrong (or, where the format has a spare copy, a
/// note saying which copy was used). None may crash or hang.
final class BadInputTests: XCTestCase {
    var images: [DiskImage] = []

    override func setUpWithError() throws {
        images = try written(SampleSpecs.standard()).filter { $0.groupName == SampleSpecs.mbrGroupName }
    }

    var disk1: DiskImage { images[0] }
    var db: DatabaseLayout { disk1.layout.database }

    /// Byte offset of the body field after `skipVar` variable fields and
    /// `skipFixed` fixed bytes in the (unfragmented) record of `object`.
    func fieldOffset(_ object: String, vars skipVar: Int, fixed skipFixed: Int = 0, image: DiskImage? = nil) throws -> UInt64 {
        let image = image ?? disk1
        let slot = try XCTUnwrap(image.layout.database.slots(of: object).first, "no record for \(object)")
        let bytes = image.read(at: slot.offset, count: image.layout.database.vblkSize, includeContent: false)
        var position = 0x18
        for _ in 0..<skipVar { position += 1 + Int(bytes[position]) }
        return slot.offset + UInt64(position + skipFixed)
    }

    func readOne(_ image: DiskImage) -> ReadResult { readImages([image]) }

    // MARK: structure magic and copies

    func testTruncatedImage() throws {
        let bytes = disk1.bytes(includeContent: false)
        let truncated = MemorySectorSource(name: "truncated.img", bytes: Array(bytes.prefix(4 << 20)))
        XCTAssertThrowsError(try DiskMetadata.read(from: truncated)) { error in
            let e = error as! LDMError
            XCTAssertEqual(e.device, "truncated.img")
            XCTAssertTrue(e.description.contains("past the end"), e.description)
        }
        let tiny = MemorySectorSource(name: "tiny.img", bytes: Array(bytes.prefix(1000)))
        XCTAssertThrowsError(try DiskMetadata.read(from: tiny)) { XCTAssertEqual(($0 as! LDMError).kind, .notLDM) }
    }

    func testNotADynamicDisk() throws {
        var image = disk1
        image.patch(at: 446 + 4, bytes: [0x07])   // MBR entry type NTFS instead of 0x42
        assertOneError(readOne(image), kind: .notLDM, device: "Disk1", mentions: ["0x42"])
    }

    func testDamagedPrimaryPRIVHEADFallsBackToABackup() throws {
        var image = disk1
        image.patch(at: db.primaryPrivhead, bytes: Array("XRIVHEAD".utf8))
        let r = readOne(image)
        XCTAssertEqual(r.errors, [], r.errorText)
        XCTAssertTrue(r.groups[0].notes.contains { $0.contains("backup PRIVHEAD") && $0.contains("primary PRIVHEAD") },
                      "\(r.groups[0].notes)")
    }

    func testAllPRIVHEADCopiesDamaged() throws {
        var image = disk1
        for offset in db.privheads { image.patch(at: offset, bytes: Array("XRIVHEAD".utf8)) }
        assertOneError(readOne(image), kind: .badMagic, device: "Disk1", mentions: ["PRIVHEAD", "magic"])
    }

    func testPRIVHEADCopiesDisagreeAboutTheDisk() throws {
        var image = disk1
        let backup = try XCTUnwrap(db.privheads.first { $0 != db.primaryPrivhead })
        image.patch(at: backup + 0x30, bytes: Array("aaaaaaaa-0000-0000-0000-000000000000".utf8))
        image.patch(at: backup + 0x18, bytes: be(999, 8))   // and claims to be newer
        image.sealChecksums()
        assertOneError(readOne(image), kind: .inconsistent, device: "Disk1", mentions: ["PRIVHEAD", "identity"])
    }

    func testUnsupportedPRIVHEADVersion() throws {
        var image = disk1
        for offset in db.privheads { image.patch(at: offset + 0x0C, bytes: be(3, 2)) }
        image.sealChecksums()
        assertOneError(readOne(image), kind: .unsupported, device: "Disk1", mentions: ["version 3.11"])
    }

    func testDataAreaPastTheEndOfTheDisk() throws {
        var image = disk1
        for offset in db.privheads { image.patch(at: offset + 0x123, bytes: be(1 << 40, 8)) }
        image.sealChecksums()
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["logical disk size", "past the end"])
    }

    func testAllTOCBLOCKsDamaged() throws {
        var image = disk1
        for offset in db.tocblocks { image.patch(at: offset, bytes: Array("TOCBLOCX".utf8)) }
        assertOneError(readOne(image), kind: .badMagic, device: "Disk1", mentions: ["TOCBLOCK"])
    }

    func testOneTOCBLOCKDamagedIsNoted() throws {
        var image = disk1
        image.patch(at: db.tocblocks[0], bytes: Array("TOCBLOCX".utf8))
        let r = readOne(image)
        XCTAssertEqual(r.errors, [])
        XCTAssertTrue(r.groups[0].notes.contains { $0.contains("TOCBLOCK") }, "\(r.groups[0].notes)")
    }

    func testTOCRegionOutsideTheDatabase() throws {
        var image = disk1
        for offset in db.tocblocks { image.patch(at: offset + 0x2E, bytes: be(5000, 8)) }
        image.sealChecksums()
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["config region", "outside"])
    }

    // MARK: checksums and which TOCBLOCK is current

    func testPRIVHEADChecksumMismatchFallsBackToABackup() throws {
        var image = disk1
        image.patch(at: db.primaryPrivhead + 0x18, bytes: be(7, 8))   // altered, not re-sealed
        let r = readOne(image)
        XCTAssertEqual(r.errors, [], r.errorText)
        XCTAssertTrue(r.groups[0].notes.contains { $0.contains("primary PRIVHEAD") && $0.contains("checksum") },
                      "\(r.groups[0].notes)")
    }

    func testEveryPRIVHEADChecksumWrong() throws {
        var image = disk1
        for offset in db.privheads { image.patch(at: offset + 0x0B, bytes: [0x5A]) }
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["PRIVHEAD", "checksum", "does not match"])
    }

    func testEveryTOCBLOCKChecksumWrong() throws {
        var image = disk1
        for offset in db.tocblocks { image.patch(at: offset + 0x0B, bytes: [0x5A]) }
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["TOCBLOCK", "checksum"])
    }

    /// A TOCBLOCK the PRIVHEAD does not name is an old copy, whatever its
    /// checksum: here it points at the wrong config region and has the larger
    /// checksum, which a reader taking 0x08 for a sequence would choose.
    func testOldTOCBLOCKBesideTheCurrentOneIsIgnored() throws {
        var image = disk1
        let current = db.tocblocks[0], old = db.tocblocks[1]            // database sectors 1 and 2
        image.patch(at: old + 0x2E, bytes: be(0x7F7, 8))                 // config region elsewhere
        image.patch(at: old + 0x0C, bytes: be(0, 8))                     // and an older update sequence
        image.sealChecksums()
        let bytes = image.bytes(includeContent: false)
        let sum = { (o: UInt64) in bytes[Int(o) + 8..<Int(o) + 12].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        XCTAssertGreaterThan(sum(old), sum(current), "the old copy must carry the larger checksum")
        let r = readOne(image)
        XCTAssertEqual(r.errors, [], r.errorText)
        XCTAssertEqual(r.groups.first?.volumes.map(\.name), readOne(disk1).groups.first?.volumes.map(\.name))
    }

    /// Of the two copies the PRIVHEAD names, the higher update sequence wins.
    func testNamedTOCBLOCKWithTheHigherUpdateSequenceWins() throws {
        var image = disk1
        let primary = db.tocblocks[0], secondary = db.tocblocks[3]       // database sectors 1 and 2046
        image.patch(at: primary + 0x2E, bytes: be(18, 8))                // one sector off: no VMDB there
        image.patch(at: secondary + 0x0C, bytes: be(2, 8))               // the newer copy
        image.sealChecksums()
        let r = readOne(image)
        XCTAssertEqual(r.errors, [], r.errorText)
        XCTAssertTrue(r.groups[0].notes.contains { $0.contains("database sector 2046") && $0.contains("update sequence 2") },
                      "\(r.groups[0].notes)")
    }

    func testTOCBLOCKsWherethePRIVHEADDoesNotPointAreFoundAndNoted() throws {
        var image = disk1
        for offset in db.privheads {
            image.patch(at: offset + 0x13B, bytes: be(5, 8))                // empty sectors
            image.patch(at: offset + 0x143, bytes: be(1 << 40, 8))          // past the database
        }
        image.sealChecksums()
        let r = readOne(image)
        XCTAssertEqual(r.errors, [], r.errorText)
        let notes = r.groups[0].notes
        XCTAssertTrue(notes.contains { $0.contains("does not name") }, "\(notes)")
        XCTAssertTrue(notes.contains { $0.contains("database sector 5") && $0.contains("TOCBLOCK") }, "\(notes)")
    }

    func testVMDBMagic() throws {
        var image = disk1
        image.patch(at: db.vmdb, bytes: Array("XMDB".utf8))
        assertOneError(readOne(image), kind: .badMagic, device: "Disk1", mentions: ["VMDB"])
    }

    func testVMDBClaimsHugeSlotArea() throws {
        var image = disk1
        image.patch(at: db.vmdb + 4, bytes: be(0xFFFF_FFFF, 4))
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["last VBLK sequence", "exceed"])
    }

    func testVMDBZeroSlotSize() throws {
        var image = disk1
        image.patch(at: db.vmdb + 8, bytes: be(0, 4))
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["VBLK size"])
    }

    func testVMDBCountsDoNotMatch() throws {
        var image = disk1
        image.patch(at: db.vmdb + 0x85, bytes: be(9, 4))
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["volume count", "9"])
    }

    // MARK: VBLK slots and records

    func testSlotSequenceMismatch() throws {
        var image = disk1
        let slot = try XCTUnwrap(db.slots(of: "Simple").first)
        image.patch(at: slot.offset + 4, bytes: be(77, 4))
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["VBLK slot \(slot.sequence)", "sequence 77"])
    }

    func testSlotWithoutMagicInsideTheArea() throws {
        var image = disk1
        let slot = try XCTUnwrap(db.slots(of: "Simple").first)
        image.patch(at: slot.offset, bytes: Array("XBLK".utf8))
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["VBLK slot", "signature"])
    }

    func testRecordSizeBeyondTheRecord() throws {
        var image = disk1
        let slot = try XCTUnwrap(db.slots(of: "Simple").first)
        image.patch(at: slot.offset + 0x14, bytes: be(100_000, 4))
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["size", "exceeds"])
    }

    func testVariableIntegerTooLong() throws {
        var image = disk1
        let slot = try XCTUnwrap(db.slots(of: "Simple").first)
        image.patch(at: slot.offset + 0x18, bytes: [9])   // object id vnum of 9 bytes
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["VBLK slot"])
    }

    func testUnknownRecordRevision() throws {
        var image = disk1
        let slot = try XCTUnwrap(db.slots(of: "Simple").first)
        image.patch(at: slot.offset + 0x13, bytes: [0x71])  // volume, revision 7
        assertOneError(readOne(image), kind: .unsupported, device: "Disk1", mentions: ["revision 7"])
    }

    func testMissingFragment() throws {
        let spec = ImageSpec(groups: [.init(name: "G", disks: [.init(name: "D", sizeBytes: 16 * ImageSpec.MiB)],
                                            volumes: [.init(name: String(repeating: "L", count: 200), kind: .simple,
                                                            sizeBytes: ImageSpec.MiB, disks: ["D"])])])
        var image = try written(spec)[0]
        let split = try XCTUnwrap(image.layout.database.slots.first { $0.fragments > 1 && $0.fragment == 1 })
        image.patch(at: split.offset + 0x0E, bytes: be(0, 2))   // second fragment marked unused
        assertOneError(readOne(image), kind: .invalid, device: "D", mentions: ["missing fragment", "1"])
    }

    func testDuplicateFragment() throws {
        let spec = ImageSpec(groups: [.init(name: "G", disks: [.init(name: "D", sizeBytes: 16 * ImageSpec.MiB)],
                                            volumes: [.init(name: String(repeating: "L", count: 200), kind: .simple,
                                                            sizeBytes: ImageSpec.MiB, disks: ["D"])])])
        var image = try written(spec)[0]
        let split = try XCTUnwrap(image.layout.database.slots.first { $0.fragments > 1 && $0.fragment == 1 })
        image.patch(at: split.offset + 0x0C, bytes: be(0, 2))   // claims to be fragment 0 again
        assertOneError(readOne(image), kind: .invalid, device: "D", mentions: ["fragment 0 twice"])
    }

    func testTooManyFragments() throws {
        var image = disk1
        let slot = try XCTUnwrap(db.slots(of: "Simple").first)
        image.patch(at: slot.offset + 0x0E, bytes: be(9, 2))
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["9 fragments"])
    }

    // MARK: references, extents, names

    func testPartitionPastTheDataArea() throws {
        // Partition: id, name, then 4 zero bytes and 8 of commit id before the start.
        let partition = try XCTUnwrap(disk1.layout.partitions.first { $0.volume == "Simple" }).name
        var image = disk1
        image.patch(at: try fieldOffset(partition, vars: 2, fixed: 12), bytes: be(1 << 30, 8))
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: [partition, "past", "data area"])
    }

    func testOverlappingPartitions() throws {
        let pieces = disk1.layout.partitions
        XCTAssertGreaterThanOrEqual(pieces.count, 2)
        var image = disk1
        // Move the second partition of Disk1 onto the first.
        let firstStart = try fieldOffset(pieces[0].name, vars: 2, fixed: 12)
        let start = image.read(at: firstStart, count: 8, includeContent: false)
        image.patch(at: try fieldOffset(pieces[1].name, vars: 2, fixed: 12), bytes: start)
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["overlaps"])
    }

    func testDanglingReferences() throws {
        let partition = try XCTUnwrap(disk1.layout.partitions.first).name
        // After the start and volume offset (16 bytes) come size, parent and disk vnums.
        let sizeField = try fieldOffset(partition, vars: 2, fixed: 28)
        let bytes = disk1.read(at: sizeField, count: 32, includeContent: false)
        let parentField = sizeField + 1 + UInt64(bytes[0])
        let diskField = parentField + 1 + UInt64(bytes[Int(parentField - sizeField)])
        // Same vnum length, an id no record has.
        func unknownID(at field: UInt64) -> [UInt8] {
            let n = Int(bytes[Int(field - sizeField)])
            return [UInt8(n)] + Array(repeating: 0xEE, count: n)
        }
        var badParent = disk1
        badParent.patch(at: parentField, bytes: unknownID(at: parentField))
        assertOneError(readOne(badParent), kind: .invalid, device: "Disk1", mentions: [partition, "parent id", "does not exist"])
        var badDisk = disk1
        badDisk.patch(at: diskField, bytes: unknownID(at: diskField))
        assertOneError(readOne(badDisk), kind: .invalid, device: "Disk1", mentions: [partition, "disk id", "does not exist"])
    }

    func testComponentPointingAtAPartitionIsDangling() throws {
        // A parent id that names an object of the wrong kind is a reference
        // to nothing: records cannot form cycles.
        let r = readImages([disk1])
        let simple = try XCTUnwrap(r.groups.first?.volumes.first { $0.name.display == "Simple" })
        let partitionID = simple.partitions[0].id
        let component = try XCTUnwrap(db.slots.first { $0.kind == "component" && $0.objectName?.hasPrefix("Simple") == true }?.objectName)
        // Component: id, name, state, type(1), zeros(4), partition count, commit(8), zeros(8), parent.
        let countField = try fieldOffset(component, vars: 3, fixed: 5)
        let n = disk1.read(at: countField, count: 1, includeContent: false)[0]
        var image = disk1
        let parentField = countField + 1 + UInt64(n) + 16
        let width = Int(disk1.read(at: parentField, count: 1, includeContent: false)[0])
        image.patch(at: parentField, bytes: [UInt8(width)] + be(partitionID, width))
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["does not exist"])
    }

    func testDuplicateVolumeNames() throws {
        var image = disk1
        // "Mirror" and "Simple" have the same length.
        image.patch(at: try fieldOffset("Mirror", vars: 1, fixed: 1), bytes: Array("Simple".utf8))
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["volume name", "Simple", "twice"])
    }

    func testHostileNamesAreEscaped() throws {
        var image = disk1
        let hostile: [UInt8] = [0x2F, 0x20, 0x22, 0x0A, 0x01, 0xFF]   // / space " newline ^A invalid-UTF-8
        image.patch(at: try fieldOffset("Simple", vars: 1, fixed: 1), bytes: hostile)
        let r = readOne(image)
        XCTAssertEqual(r.errors, [], r.errorText)
        let v = try XCTUnwrap(r.groups[0].volumes.first { $0.name.raw == hostile })
        XCTAssertEqual(v.name.display, "/ \\x22\\x0a\\x01\\xff")
        XCTAssertEqual(v.name.deviceSafe, "_x2f_x20_x22_x0a_x01_xff")
        XCTAssertFalse(v.name.display.contains("\n"))
    }

    func testOlderDatabaseOnOneDiskIsNoted() throws {
        var newer = images[1]
        newer.patch(at: newer.layout.database.vmdb + 0x75, bytes: be(50_000, 8))
        let r = readImages([images[0], newer])
        XCTAssertEqual(r.errors, [], r.errorText)
        XCTAssertEqual(r.groups[0].committedSequence, 50_000)
        XCTAssertTrue(r.groups[0].notes.contains { $0.contains("older database") && $0.contains("Disk1") }, "\(r.groups[0].notes)")
    }

    func testGPTChecksumMismatch() throws {
        var image = try XCTUnwrap(try written(SampleSpecs.standard()).first { $0.groupName == SampleSpecs.gptGroupName })
        let gpt = try XCTUnwrap(image.layout.gpt)
        image.patch(at: gpt.primaryEntries + 40, bytes: [0xAB])
        assertOneError(readOne(image), kind: .invalid, device: "Disk1", mentions: ["GPT", "CRC32"])
    }
}
