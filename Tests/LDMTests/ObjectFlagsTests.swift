import XCTest
import LDM
import LDMWriter

/// States Windows records on objects (docs/FORMAT.md, "States and flags"):
/// a member Windows marked out of date is never read, whatever marks it;
/// boot, system and retained volumes and groups not to be imported
/// automatically are reported.
final class ObjectFlagsTests: XCTestCase {
    /// A mirror over D1/D2, a RAID-5 over D1/D2/D3, a simple volume on D2.
    static func images(_ flags: ImageSpec.WindowsFlags) throws -> [DiskImage] {
        let MiB = ImageSpec.MiB
        var group = ImageSpec.Group(
            name: "Flags", disks: (1...3).map { .init(name: "D\($0)", sizeBytes: 16 * MiB) },
            volumes: [.init(name: "M", kind: .mirrored, sizeBytes: 2 * MiB, disks: ["D1", "D2"]),
                      .init(name: "R", kind: .raid5, sizeBytes: 2 * MiB, disks: ["D1", "D2", "D3"]),
                      .init(name: "S", kind: .simple, sizeBytes: 2 * MiB, disks: ["D2"])])
        group.windowsFlags = flags
        return try written(ImageSpec(groups: [group]))
    }

    func group(_ flags: ImageSpec.WindowsFlags, file: StaticString = #filePath, line: UInt = #line) throws -> DiskGroup {
        let r = readImages(try Self.images(flags))
        XCTAssertEqual(r.errors, [], r.errorText, file: file, line: line)
        return try XCTUnwrap(r.groups.first, file: file, line: line)
    }

    func volume(_ g: DiskGroup, _ name: String) throws -> Volume {
        try XCTUnwrap(g.volumes.first { $0.name.display == name })
    }

    func testCleanFlagsLeaveEveryVolumeComplete() throws {
        let g = try group(.init())
        XCTAssertEqual(g.volumes.map(\.state), [.complete, .complete, .complete])
        XCTAssertTrue(g.volumes.allSatisfy { $0.partitions.allSatisfy { $0.outOfDate == nil } })
        XCTAssertEqual(g.privateHeaderFlags, [])
    }

    /// Windows went on without D2: every member on it is out of date.
    func testADetachedDiskIsNotReadEvenWhenPresent() throws {
        var f = ImageSpec.WindowsFlags()
        f.disks["D2"] = 0x200
        let g = try group(f)
        XCTAssertTrue(g.disks.first { $0.name.display == "D2" }!.isPresent)
        XCTAssertEqual(try volume(g, "M").state, .degraded)
        XCTAssertEqual(try volume(g, "R").state, .degraded)
        XCTAssertEqual(try volume(g, "S").state, .incomplete)
        let why = try XCTUnwrap(try volume(g, "S").partitions[0].outOfDate)
        XCTAssertTrue(why.contains("disk D2 detached"), why)
        XCTAssertEqual(g.disks.first { $0.name.display == "D2" }?.flags.words, ["detached"])
    }

    func testAnExtentMarkedForRecoveryIsNotRead() throws {
        var f = ImageSpec.WindowsFlags()
        f.extents["M/D2"] = 0x08
        f.extents["R/D3"] = 0x08
        let g = try group(f)
        XCTAssertEqual(try volume(g, "M").state, .degraded)
        XCTAssertEqual(try volume(g, "R").state, .degraded)
        XCTAssertEqual(try volume(g, "S").state, .complete)
        XCTAssertEqual(try volume(g, "M").components[1].partitions[0].outOfDate?.contains("out of date"), true)
        XCTAssertNil(try volume(g, "M").components[0].partitions[0].outOfDate)
    }

    func testAPlexMarkedForRecoveryOrFailedIsNotRead() throws {
        for bits: UInt32 in [0x02, 0x04] {
            var f = ImageSpec.WindowsFlags()
            f.components["M"] = bits
            f.componentPlexes["M"] = [0]
            let g = try group(f)
            let m = try volume(g, "M")
            XCTAssertEqual(m.state, .degraded, "flags \(bits)")
            XCTAssertNotNil(m.components[0].partitions[0].outOfDate)
            XCTAssertNil(m.components[1].partitions[0].outOfDate)
        }
    }

    /// Both plexes out of date: nothing left to read.
    func testAMirrorWithNoGoodPlexIsIncomplete() throws {
        var f = ImageSpec.WindowsFlags()
        f.extents["M/D1"] = 0x08
        f.extents["M/D2"] = 0x08
        XCTAssertEqual(try volume(try group(f), "M").state, .incomplete)
    }

    func testBootSystemAndRetainedVolumesAreReported() throws {
        var f = ImageSpec.WindowsFlags()
        f.volumes["S"] = 0x20_0000 | 0x40_0000 | 0x80_0000
        let g = try group(f)
        XCTAssertEqual(try volume(g, "S").flags.words, ["boot", "system", "retained-partition"])
        XCTAssertEqual(try volume(g, "M").flags.words, [])
        XCTAssertEqual(try volume(g, "S").state, .complete)
    }

    /// Read policies 1 (round-robin) and 2 (preferred plex) are valid for a
    /// mirror (DiskAccessLibrary); earlier versions refused the volume.
    func testMirrorReadPoliciesRoundRobinAndPreferredAreRead() throws {
        for policy: UInt8 in [1, 2] {
            var f = ImageSpec.WindowsFlags()
            f.readPolicies["M"] = policy
            let m = try volume(try group(f), "M")
            XCTAssertEqual(m.type, .mirrored, "policy \(policy)")
            XCTAssertEqual(m.state, .complete)
        }
    }

    /// A mirror or RAID-5 Windows was resynchronising: which member is
    /// current is not recorded, so none is read; a simple volume's state
    /// text is only reported.
    func testRedundantVolumeInStateSyncIsNotRead() throws {
        var f = ImageSpec.WindowsFlags()
        f.volumeStates = ["M": "SYNC", "R": "SYNC", "S": "SYNC"]
        let g = try group(f)
        XCTAssertEqual(try volume(g, "M").state, .incomplete)
        XCTAssertEqual(try volume(g, "R").state, .incomplete)
        XCTAssertEqual(try volume(g, "S").state, .complete)
        XCTAssertEqual(try volume(g, "S").recordState.display, "SYNC")
        let why = try XCTUnwrap(try volume(g, "M").partitions[0].outOfDate)
        XCTAssertTrue(why.contains("state SYNC"), why)
    }

    func testGroupNotToBeImportedAutomaticallyIsReported() throws {
        var f = ImageSpec.WindowsFlags()
        f.privateHeader = 0x02
        XCTAssertTrue(try group(f).privateHeaderFlags.contains(.noAutoImport))
    }
}

/// ldmtool (libldm) beside ours on the same disks: it reads neither the
/// flag words nor the checksums. Ours differs on purpose (docs/FORMAT.md,
/// "States and flags" and "Checksums").
final class ObjectFlagsLdmtoolTests: XCTestCase {
    /// A plex Windows marked out of date: ldmtool still lists it as a
    /// member of the mirror (and `ldmtool create` maps it); ours leaves it out.
    func testLdmtoolStillUsesAStalePlex() throws {
        var f = ImageSpec.WindowsFlags()
        f.extents["M/D2"] = 0x08
        let images = try ObjectFlagsTests.images(f)
        let tool = try ldmtool(on: images)
        let guid = try XCTUnwrap((try tool.json("scan") as? [String])?.first)
        let m = try tool.object("show", "volume", guid, "M")
        XCTAssertEqual((m["partitions"] as? [String])?.count, 2, "ldmtool: both plexes")
        let ours = try XCTUnwrap(readImages(images).groups.first?.volumes.first { $0.name.display == "M" })
        XCTAssertEqual(ours.state, .degraded)
        XCTAssertEqual(ours.partitions.filter { $0.outOfDate == nil }.count, 1, "ours: one plex read")
    }

    /// Every PRIVHEAD's checksum wrong: ldmtool reads the disk anyway;
    /// ours refuses it, naming the copy and both sums.
    func testLdmtoolIgnoresTheChecksum() throws {
        var images = try ObjectFlagsTests.images(.init())
        for i in images.indices {
            for offset in images[i].layout.database.privheads { images[i].patch(at: offset + 0x0B, bytes: [0x5A]) }
        }
        let tool = try ldmtool(on: images)
        XCTAssertEqual((try tool.json("scan") as? [String])?.count, 1, "ldmtool: the group")
        let r = readImages(images)
        XCTAssertEqual(r.groups.count, 0)
        XCTAssertTrue(r.errors.allSatisfy { $0.description.contains("checksum") }, r.errorText)
    }
}
