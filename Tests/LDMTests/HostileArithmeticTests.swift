import XCTest
import LDM
import LDMWriter
import BlockDevices

/// Values from a disk that used to reach unchecked arithmetic (a trap kills
/// the whole scan, and the udev helper, with every valid group in it).
final class HostileArithmeticTests: XCTestCase {
    func gptImages() throws -> [DiskImage] {
        try written(SampleSpecs.standard()).filter { $0.groupName == SampleSpecs.gptGroupName }
    }

    /// An ordinary GPT disk (no LDM partitions) whose last entry spans the
    /// whole 64-bit LBA range.
    func foreignGPTDisk() throws -> DiskImage {
        var image = try gptImages()[0]
        let n = image.sectorCount
        image.setGPTEntry(0, type: GPTForgery.basicDataType, first: 2048, last: n / 2)
        image.setGPTEntry(2, type: GPTForgery.basicDataType, first: n / 2 + 1, last: n - 40)
        image.setGPTEntry(3, type: GPTForgery.basicDataType, first: 0, last: .max)
        return image
    }

    func testForeignGPTEntrySpanningEveryLBAIsJustNotLDM() throws {
        XCTAssertThrowsError(try DiskMetadata.read(from: foreignGPTDisk())) { error in
            XCTAssertEqual((error as? LDMError)?.kind, .notLDM, "\(error)")
        }
    }

    /// Any entry type, any LBAs: never a trap, and LDM entries are judged.
    func testEveryExtremeEntryGivesAnError() throws {
        let extremes: [UInt64] = [0, 1, 33, .max / 512, .max / 4096 + 1, .max - 1, .max, 1 << 63]
        let types = [GPTForgery.basicDataType, GPTForgery.ldmMetadataType, GPTForgery.ldmDataType]
        let base = try gptImages()[0]
        for type in types {
            for first in extremes {
                for last in extremes {
                    for index in [0, 2, 3] {
                        var image = base
                        image.setGPTEntry(index, type: type, first: first, last: last)
                        do { _ = try DiskMetadata.read(from: image) } catch is LDMError {} catch {
                            XCTFail("\(type) \(first)...\(last): \(error)")
                        }
                    }
                }
            }
        }
    }

    /// The metadata partition's LBA plus the database offsets of the
    /// PRIVHEAD backups passed 2^64.
    func testMetadataPartitionAtTheEndOfLBASpaceIsRefused() throws {
        var image = try gptImages()[0]
        image.setGPTEntry(0, type: GPTForgery.ldmMetadataType, first: .max - 10, last: .max)
        XCTAssertThrowsError(try DiskMetadata.read(from: image)) { error in
            let e = error as? LDMError
            XCTAssertEqual(e?.kind, .invalid, "\(error)")
            XCTAssertEqual(e?.device, "Disk1")
            XCTAssertTrue(e?.description.contains("GPT partition entry 1") == true, "\(error)")
        }
    }

    /// The data partition is measured and later scaled to 512-byte units
    /// (udev partition roles on 4Kn disks): it must lie inside the disk.
    func testDataPartitionOutsideTheDiskIsRefused() throws {
        var image = try written(SampleSpecs.standard(sectorSize: 4096)).first { $0.groupName == SampleSpecs.gptGroupName }!
        image.setGPTEntry(2, type: GPTForgery.ldmDataType, first: 1 << 62, last: (1 << 62) + 100)
        XCTAssertThrowsError(try DiskMetadata.read(from: image)) { error in
            XCTAssertTrue("\(error)".contains("GPT partition entry 3"), "\(error)")
        }
    }

    /// A scan of several disks where one is a foreign GPT disk with a
    /// whole-range entry: the valid groups are all still found.
    func testScanSurvivesAForeignGPTDisk() throws {
        let dir = try temporaryDirectory()
        defer { removeDirectory(dir) }
        var paths: [String] = []
        for image in try written(SampleSpecs.standard()) {
            paths.append("\(dir)/\(image.groupName)-\(image.name).img")
            try image.write(to: paths.last!, includeContent: false)
        }
        let foreign = "\(dir)/foreign.img"
        try foreignGPTDisk().write(to: foreign, includeContent: false)
        paths.insert(foreign, at: 2)
        let scan = DiskScanner().scan(paths)
        XCTAssertEqual(scan.members.count, paths.count - 1)
        XCTAssertEqual(scan.errors.count, 1)
        XCTAssertTrue(scan.errors.first?.contains("foreign.img") == true, "\(scan.errors)")
        XCTAssertEqual(Set(GroupAssembler.assemble(scan.members).groups.map(\.name.display)),
                       [SampleSpecs.mbrGroupName, SampleSpecs.gptGroupName])
    }

    /// A volume whose size in bytes does not fit 64 bits (it lives on a
    /// missing disk, so no disk bounds it), and a chunk near 2^60 sectors:
    /// refused when the group is assembled, so `show` never multiplies them.
    func testVolumeAndChunkSizesMustFitInBytes() throws {
        let images = try written(SampleSpecs.standard()).filter { $0.groupName == SampleSpecs.mbrGroupName }
        let disk1 = try DiskMetadata.read(from: images[0])
        func forged(_ change: (inout VBLKRecord) -> Void) -> DiskMetadata {
            var m = disk1
            for i in m.records.indices { change(&m.records[i]) }
            return m
        }
        let hugeMirror = forged {
            if case .volume(var v) = $0, v.name.display == "Mirror" { v.size = 1 << 60; $0 = .volume(v) }
        }
        let hugeChunk = forged {
            if case .component(var c) = $0, c.chunkSize > 0 { c.chunkSize = 1 << 60; $0 = .component(c) }
        }
        for (m, field) in [(hugeMirror, "volume Mirror: size"), (hugeChunk, "chunk size")] {
            let r = GroupAssembler.assemble([m])
            XCTAssertEqual(r.groups.count, 0)
            XCTAssertEqual(r.errors.count, 1)
            XCTAssertTrue(r.errors.first?.description.contains(field) == true, "\(r.errors)")
            XCTAssertEqual(r.errors.first?.device, "Disk1")
        }
    }
}

func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ldm-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.path
}

func removeDirectory(_ dir: String) {
    try? FileManager.default.removeItem(atPath: dir)
}
