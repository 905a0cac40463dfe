#if canImport(Glibc)
import Glibc
#endif
import Testing
import LDM
import LDMWriter
import BlockDevices
@testable import LDMEdit

/// Backup and restore of the LDM database area on written images: the
/// round trip is byte-exact over the whole image, and a backup that does
/// not belong to a disk is refused with nothing written.
@Suite struct MetadataBackupTests {
    let dir: String

    init() throws {
        var template = Array("/tmp/ldmedit-backup-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        dir = String(cString: try #require(made))
    }

    /// Two MBR disks and one GPT group of one disk.
    func writeImages(style: ImageSpec.PartitionStyle = .mbr, sectorSize: Int = 512) throws -> [String] {
        let MiB = ImageSpec.MiB
        let disks = (1...2).map {
            ImageSpec.Disk(name: "Disk\($0)", sizeBytes: (style == .gpt ? 8 : 4) * MiB, partitionStyle: style, sectorSize: sectorSize,
                           recordRevision: style == .gpt ? 4 : 3)
        }
        let spec = ImageSpec(groups: [.init(name: "BackupDg0", recordRevision: style == .gpt ? 4 : 3,
                                            privheadMinor: style == .gpt ? 12 : 11, disks: disks, volumes: [
            .init(name: "Volume1", kind: .spanned, sizeBytes: 1 * MiB, disks: ["Disk1", "Disk2"], spanBytes: [512 * 1024, 512 * 1024]),
        ])])
        var paths: [String] = []
        for image in try ImageWriter.write(spec) {
            let path = "\(dir)/\(image.fileName)"
            try image.write(to: path)
            paths.append(path)
        }
        return paths
    }

    func members(_ paths: [String], sectorSize: Int = 512) throws -> [DiskMetadata] {
        let scan = DiskScanner(imageSectorSize: sectorSize).scan(paths)
        #expect(scan.errors == [])
        return scan.members
    }

    func contents(_ path: String) throws -> [UInt8] {
        let f = try #require(fopen(path, "rb"))
        defer { fclose(f) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n == 0 { break }
            out += buffer[0..<n]
        }
        return out
    }

    func overwrite(_ path: String, at offset: Int, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(pwrite(fd, bytes, bytes.count, off_t(offset)) == bytes.count)
    }

    /// Database sector `n` of a member, as a byte offset.
    func databaseOffset(_ m: DiskMetadata, sector n: UInt64) -> Int {
        Int((m.privateHeader.configStart + n) * UInt64(m.sectorSize))
    }

    @Test(arguments: [(ImageSpec.PartitionStyle.mbr, 512), (.gpt, 512), (.mbr, 4096)])
    func roundTripIsByteExact(style: ImageSpec.PartitionStyle, sectorSize: Int) throws {
        let paths = try writeImages(style: style, sectorSize: sectorSize)
        let before = try paths.map(contents)
        let read = try members(paths, sectorSize: sectorSize)
        let backup = try MetadataBackup.save(members: read, to: "\(dir)/backup", version: "test")
        #expect(backup == "\(dir)/backup")

        let (manifest, files) = try MetadataBackup.load(backup)
        #expect(manifest.disks.count == 2)
        for (m, d) in zip(read, manifest.disks) {
            #expect(d.diskGUID == m.privateHeader.diskGUID)
            #expect(d.database == .init(firstSector: m.privateHeader.configStart, sectors: m.privateHeader.configSize))
            // MBR: sector 6 and the database; GPT: the metadata partition,
            // which holds the database and the primary PRIVHEAD.
            if style == .mbr {
                #expect(d.ranges.first == .init(firstSector: 6, sectors: 1))
                #expect(d.ranges.count == 2)
            } else {
                #expect(d.ranges.count == 1)
            }
            #expect(UInt64(files[d.diskGUID]!.count) == d.byteCount)
        }

        // Any write to the databases and the primary PRIVHEAD: damage the
        // VMDB of one disk, the PRIVHEAD of the other.
        try overwrite(paths[0], at: databaseOffset(read[0], sector: read[0].toc.configStart), Array(repeating: 0xA5, count: 700))
        try overwrite(paths[1], at: Int(read[1].partitionTable.privateHeaderLBA) * sectorSize, Array(repeating: 0, count: 64))
        #expect(try paths.map(contents) != before)

        let plan = try MetadataBackup.planRestore(from: backup, candidates: paths.map(DevicePath.init), imageSectorSize: sectorSize)
        #expect(plan.targets.map(\.differingBytes).allSatisfy { $0 > 0 })
        try MetadataBackup.restore(plan)
        #expect(try paths.map(contents) == before)
        // Restoring again finds nothing to change.
        let again = try MetadataBackup.planRestore(from: backup, candidates: paths.map(DevicePath.init), imageSectorSize: sectorSize)
        #expect(again.targets.map(\.differingBytes) == [0, 0])
    }

    @Test func refusesToOverwriteABackup() throws {
        let paths = try writeImages()
        let read = try members(paths)
        try MetadataBackup.save(members: read, to: "\(dir)/b")
        #expect(throws: BackupError.self) { try MetadataBackup.save(members: read, to: "\(dir)/b") }
    }

    @Test func manifestIsReadableAndMatchesSha256sum() throws {
        let paths = try writeImages()
        let read = try members(paths)
        let backup = try MetadataBackup.save(members: read, to: "\(dir)/b", version: "ldmctl 9")
        let text = String(decoding: try contents("\(backup)/manifest"), as: UTF8.self)
        #expect(text.hasPrefix("ldmctl-metadata-backup 1\nversion ldmctl 9\ncreated "))
        #expect(text.contains("group \(read[0].privateHeader.groupGUID.text)\n"))
        #expect(text.contains("device \(paths[0])\n"))
        // The checksum is the standard SHA-256 (the empty message and "abc").
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array(repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// A device path is untrusted text: one with a newline and a backslash
    /// is written escaped once (as ldmctl shows it everywhere) and reads
    /// back the same; a manifest whose lines carry control bytes (written
    /// by hand, or by an attacker) has them escaped when read, so they
    /// never reach a terminal. (Both failed when the manifest escaped the
    /// already-escaped path again and kept read text as it was.)
    @Test func manifestTextIsEscapedOnceAndReadBackPrintable() throws {
        let paths = try writeImages()
        let link = "\(dir)/odd\nname\\x.img"
        #expect(symlink(paths[0], link) == 0)
        let read = try members([link] + paths.dropFirst())
        let backup = try MetadataBackup.save(members: read, to: "\(dir)/b", version: "ldmctl 9")
        let bytes = try contents("\(backup)/manifest")
        let text = String(decoding: bytes, as: UTF8.self)
        let shown = DevicePath(link).display
        #expect(shown.hasSuffix("odd\\x0aname\\x5cx.img"))
        #expect(text.contains("device \(shown)\n"))
        let parsed = try BackupManifest.parse(bytes, source: "manifest")
        #expect(parsed.disks.first { $0.diskGUID == read[0].privateHeader.diskGUID }?.device == shown)

        let hostile = Array(text.replacingOccurrences(of: "version ldmctl 9", with: "version \u{1B}]0;owned\u{07}").utf8)
        let forged = try BackupManifest.parse(hostile, source: "manifest")
        #expect(forged.version == "\\x1b]0;owned\\x07")
    }

    /// The backup's disk must be the disk found: a different size, another
    /// place for the database, a damaged backup file or a missing disk is
    /// refused, and nothing is written to any disk.
    @Test func mismatchesAreRefusedAndNothingIsWritten() throws {
        let paths = try writeImages()
        let read = try members(paths)
        let backup = try MetadataBackup.save(members: read, to: "\(dir)/b")
        try overwrite(paths[0], at: databaseOffset(read[0], sector: read[0].toc.configStart), Array(repeating: 0xA5, count: 700))
        let changed = try paths.map(contents)

        func refused(_ candidates: [String], _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                let plan = try MetadataBackup.planRestore(from: backup, candidates: candidates.map(DevicePath.init))
                Issue.record("planned a restore: \(plan.description)", sourceLocation: sourceLocation)
            } catch {
                #expect(error.message.contains(expected), "\(error.message)", sourceLocation: sourceLocation)
            }
        }
        // A member missing.
        refused([paths[0]], "was not found among the devices given")
        // Another disk in its place: a copy of the group's other disk
        // cannot stand in for it.
        let other = "\(dir)/other.img"
        try SystemIOCopy.copy(paths[1], other)
        refused([paths[0], other, paths[1]], "is on more than one device")
        // The disk grew (a different disk with the same GUID, or the wrong image).
        #expect(truncate(paths[1], off_t(4 << 20) + 512) == 0)
        refused(paths, "\(paths[1]): is disk \(read[1].privateHeader.diskGUID) but it is \((4 << 20) + 512) bytes, the backed-up disk was \(4 << 20)")
        #expect(truncate(paths[1], off_t(4 << 20)) == 0)
        // A damaged backup file.
        let file = "\(backup)/disk-\(read[1].privateHeader.diskGUID.text).img"
        try overwrite(file, at: 100, [0xFF])
        refused(paths, "SHA-256 differs")
        #expect(try paths.map(contents) == changed)
    }

    /// A disk whose database moved (a re-initialised disk with the same
    /// GUID would do that) is not the disk backed up.
    @Test func databaseElsewhereIsRefused() throws {
        let paths = try writeImages()
        let read = try members(paths)
        let backup = try MetadataBackup.save(members: read, to: "\(dir)/b")
        var manifest = try MetadataBackup.load(backup).0
        manifest.disks[0].database.firstSector -= 1
        let path = "\(backup)/manifest"
        #expect(unlink(path) == 0)
        try MetadataBackup.writeNew(path, Array(manifest.text.utf8))
        do {
            _ = try MetadataBackup.planRestore(from: backup, candidates: paths.map(DevicePath.init))
            Issue.record("restore planned")
        } catch {
            #expect(error.message.contains("its database is at sector \(read[0].privateHeader.configStart)"), "\(error.message)")
        }
    }
}

enum SystemIOCopy {
    static func copy(_ from: String, _ to: String) throws {
        let input = try #require(fopen(from, "rb"))
        defer { fclose(input) }
        let output = try #require(fopen(to, "wb"))
        defer { fclose(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&buffer, 1, buffer.count, input)
            if n == 0 { break }
            #expect(fwrite(buffer, 1, n, output) == n)
        }
    }
}
