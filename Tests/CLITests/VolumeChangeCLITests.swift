import Foundation
import LDM
import LDMWriter
import XCTest

/// `ldmctl create-volume` and `delete-volume` as users run them: the plan
/// without --yes, nothing written by --dry-run or a refusal, the backup and
/// the write with --yes, and restore-metadata undoing it byte for byte.
extension CLITests {
    func editableImages() throws -> [String] {
        let MiB = ImageSpec.MiB
        var group = ImageSpec.Group(name: "CliEditDg0", disks: (1...3).map { .init(name: "Disk\($0)", sizeBytes: 16 * MiB) },
                                    volumes: [.init(name: "Volume1", kind: .simple, sizeBytes: 2 * MiB, disks: ["Disk1"], driveHint: "E:")])
        group.spareSlots = 32
        return try write(try ImageWriter.write(ImageSpec(groups: [group])))
    }

    func contents(_ paths: [String]) throws -> [Data] { try paths.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } }

    func testCreateVolumeNeedsYesDryRunWritesNothingAndYesWritesAfterABackup() throws {
        let paths = try editableImages()
        let original = try contents(paths)
        let create = ["create-volume", "--group", "CliEditDg0", "--type", "raid5", "--size", "4M", "--drive-hint", "R:"]

        var r = try run(create + paths)
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains("add --yes"), r.err)
        XCTAssertTrue(r.out.contains("create raid5 volume Raid1 in disk group CliEditDg0"), r.out)
        XCTAssertTrue(r.out.contains("sector writes: "), r.out)
        XCTAssertTrue(r.out.contains("step 4: VMDB: update status 3"), r.out)
        XCTAssertEqual(try contents(paths), original)

        r = try run(create + ["--dry-run"] + paths)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("VMDB\n      +0x11: 03\n"), "the commit point's bytes are shown: \(r.out)")
        XCTAssertEqual(try contents(paths), original)

        // Refused: nothing written.
        r = try run(["create-volume", "--type", "mirrored", "--size", "100M", "--yes", "--backup", "\(dir)/never"] + paths)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("contiguous free space") && r.err.contains("nothing written"), r.err)
        XCTAssertEqual(try contents(paths), original)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/never/manifest"))

        r = try run(create + ["--yes", "--backup", "\(dir)/backup"] + paths)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("created raid5 volume Raid1"), r.out)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/backup/manifest"))
        let show = try run(["show"] + paths)
        XCTAssertTrue(show.out.contains("Volume Raid1  raid5  4.0 MiB  complete  chunk 64.0 KiB  hint R:"), show.out)
        let created = try contents(paths)

        // Delete it again, then restore the backup taken before the create.
        r = try run(["delete-volume", "Raid1", "--yes", "--backup", "\(dir)/backup2"] + paths)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertFalse(try run(["show"] + paths).out.contains("Raid1"))
        r = try run(["restore-metadata", "--yes", "\(dir)/backup2"] + paths)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(try contents(paths), created)
        r = try run(["restore-metadata", "--yes", "\(dir)/backup"] + paths)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(try contents(paths), original)
    }

    func testDeleteVolumeRefusesAnUnknownVolumeAndAMissingDisk() throws {
        let paths = try editableImages()
        let original = try contents(paths)
        var r = try run(["delete-volume", "Nope", "--yes"] + paths)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("has no volume Nope"), r.err)
        r = try run(["delete-volume", "Volume1", "--yes"] + paths.dropLast())
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("disk Disk3") && r.err.contains("is missing"), r.err)
        r = try run(["create-volume", "--type", "simple", "--size", "12x"] + paths)
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(try contents(paths), original)
    }
}
