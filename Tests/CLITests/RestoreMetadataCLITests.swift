import Foundation
import LDM
import LDMWriter
import LDMEdit
import BlockDevices
import XCTest

/// `ldmctl restore-metadata` as users run it: the plan without --yes, the
/// byte-exact write with it, and refusals that name the disk.
extension CLITests {
    func backedUpImages() throws -> (paths: [String], backup: String, original: [Data]) {
        let MiB = ImageSpec.MiB
        let spec = ImageSpec(groups: [.init(name: "RestoreDg0", disks: [
            .init(name: "Disk1", sizeBytes: 4 * MiB), .init(name: "Disk2", sizeBytes: 4 * MiB),
        ], volumes: [.init(name: "Volume1", kind: .striped, sizeBytes: 1 * MiB, disks: ["Disk1", "Disk2"])])])
        let paths = try write(try ImageWriter.write(spec))
        let members = DiskScanner().scan(paths).members
        XCTAssertEqual(members.count, 2)
        let backup = try MetadataBackup.save(members: members, to: "\(dir)/backup dir")
        let original = try paths.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        // Change both databases: the last 1 MiB holds them (MBR disks).
        for path in paths {
            let h = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
            try h.seek(toOffset: 4 * MiB - 512 * 1024)
            h.write(Data(repeating: 0x5A, count: 4096))
            try h.close()
        }
        return (paths, backup, original)
    }

    func testRestoreMetadataNeedsYesAndRestoresByteForByte() throws {
        let (paths, backup, original) = try backedUpImages()
        let changed = try paths.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        XCTAssertNotEqual(changed, original)

        var r = try run(["restore-metadata", backup] + paths)
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains("add --yes"), r.err)
        XCTAssertTrue(r.out.contains("write sectors 6..6 (512 bytes at byte 3072)"), r.out)
        XCTAssertTrue(r.out.contains(" of 1049088 bytes differ"), r.out)
        XCTAssertFalse(r.out.contains(": 0 of 1049088 bytes differ"), r.out)
        r = try run(["restore-metadata", "--dry-run", backup] + paths)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(try paths.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }, changed)

        r = try run(["restore-metadata", "--yes", backup] + paths)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("read back equal"), r.err)
        XCTAssertEqual(try paths.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }, original)
    }

    func testRestoreMetadataRefusesAMissingOrDifferentDisk() throws {
        let (paths, backup, _) = try backedUpImages()
        let changed = try paths.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        var r = try run(["restore-metadata", "--yes", backup, paths[0]])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("was not found among the devices given: nothing written"), r.err)
        // The same disk GUID on a disk of another size is not that disk.
        let h = try XCTUnwrap(FileHandle(forUpdatingAtPath: paths[1]))
        try h.truncate(atOffset: 8 * ImageSpec.MiB)
        try h.close()
        r = try run(["restore-metadata", "--yes", backup] + paths)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("\(paths[1]): is disk"), r.err)
        XCTAssertTrue(r.err.contains("this backup does not belong to it; nothing written"), r.err)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: paths[0])), changed[0])
    }

    /// `backup-metadata` takes the same backup: one group (named when
    /// several are found), restorable byte for byte.
    func testBackupMetadataThenRestore() throws {
        let paths = try write(try ImageWriter.write(SampleSpecs.standard()))
        var r = try run(["backup-metadata", "--backup", "\(dir)/b"] + paths)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("several disk groups found") && r.err.contains("--group"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/b/manifest"))
        r = try run(["backup-metadata", "--group", SampleSpecs.gptGroupName, "--backup", "\(dir)/b"] + paths)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "\(dir)/b\n")
        let gpt = paths.filter { $0.contains(SampleSpecs.gptGroupName) }
        XCTAssertEqual(gpt.count, 2)
        let original = try gpt.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        // Wipe the first 64 KiB of each GPT metadata partition's database.
        let members = DiskScanner().scan(gpt).members
        for (path, m) in zip(gpt, members) {
            let h = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
            try h.seek(toOffset: m.privateHeader.configStart * UInt64(m.sectorSize))
            h.write(Data(count: 65536))
            try h.close()
        }
        XCTAssertNotEqual(try gpt.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }, original)
        r = try run(["restore-metadata", "--yes", "\(dir)/b"] + paths)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(try gpt.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }, original)
        r = try run(["backup-metadata", "--group", SampleSpecs.gptGroupName, "--backup", "\(dir)/b"] + paths)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("already holds a backup"), r.err)
    }
}
