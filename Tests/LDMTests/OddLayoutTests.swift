import Foundation
import XCTest
import LDM
import LDMWriter

/// Partition tables as real machines have them around the LDM entries: an
/// OEM partition before the 0x42 entry (ldmtool's PR #17), a retained basic
/// entry over a boot volume, GPT disks with basic partitions and an LDM data
/// partition that is not the last.
final class OddLayoutTests: XCTestCase {
    let MiB = ImageSpec.MiB

    func read(_ disks: [ImageSpec.Disk], volumes: [ImageSpec.Volume], flags: ImageSpec.WindowsFlags = .init(),
              file: StaticString = #filePath, line: UInt = #line) throws -> (DiskGroup, [DiskImage]) {
        var group = ImageSpec.Group(name: "Odd", recordRevision: disks[0].recordRevision,
                                    privheadMinor: disks[0].partitionStyle == .gpt ? 12 : 11, disks: disks, volumes: volumes)
        group.windowsFlags = flags
        let images = try written(ImageSpec(groups: [group]))
        let r = readImages(images)
        XCTAssertEqual(r.errors, [], r.errorText, file: file, line: line)
        return (try XCTUnwrap(r.groups.first, file: file, line: line), images)
    }

    func mbrEntries(_ image: DiskImage) -> [(type: UInt8, start: UInt32, count: UInt32)] {
        let mbr = image.read(at: 0, count: 512, includeContent: false)
        return (0..<4).compactMap { i in
            let e = 0x1BE + 16 * i
            let le = { (o: Int) in (0..<4).reduce(UInt32(0)) { $0 | UInt32(mbr[e + o + $1]) << (8 * UInt32($1)) } }
            return mbr[e + 4] == 0 ? nil : (mbr[e + 4], le(8), le(12))
        }
    }

    func testOEMPartitionBeforeTheLDMEntry() throws {
        var disk = ImageSpec.Disk(name: "D1", sizeBytes: 32 * MiB, dataStart: 16 * MiB / 512)
        disk.basicEntries = [.init(mbrType: 0x12, startBytes: MiB, sizeBytes: 14 * MiB)]
        let (g, images) = try read([disk], volumes: [.init(name: "S", kind: .simple, sizeBytes: 4 * MiB, disks: ["D1"])])
        XCTAssertEqual(mbrEntries(images[0]).map(\.type), [0x12, 0x42])
        XCTAssertEqual(g.volumes.map(\.state), [.complete])
        XCTAssertEqual(g.disks[0].location?.dataStart, 16 * MiB / 512)
        // Beside ours: ldmtool (libldm without its PR #17) looks at the first
        // MBR entry only and finds no group; without the OEM entry it does.
        guard FileManager.default.isExecutableFile(atPath: WriterLdmtoolTests.ldmtool) else { return }
        disk.basicEntries = []
        let (_, plain) = try read([disk], volumes: [.init(name: "S", kind: .simple, sizeBytes: 4 * MiB, disks: ["D1"])])
        XCTAssertEqual(try ldmtoolScan(images), [])
        XCTAssertEqual(try ldmtoolScan(plain), [g.guid.text])
    }

    func ldmtoolScan(_ images: [DiskImage]) throws -> [String]? {
        try ldmtool(on: images).json("scan") as? [String]
    }

    /// Windows keeps a basic entry over a boot or system volume it made
    /// dynamic; the volume is read from the LDM records as any other.
    func testRetainedEntryOverABootVolume() throws {
        var disk = ImageSpec.Disk(name: "D1", sizeBytes: 32 * MiB)
        disk.basicEntries = [.init(mbrType: 0x07, volume: "Boot", afterLDM: true)]
        var flags = ImageSpec.WindowsFlags()
        flags.volumes["Boot"] = 0x20_0000 | 0x80_0000
        let (g, images) = try read([disk], volumes: [.init(name: "Data", kind: .simple, sizeBytes: 4 * MiB, disks: ["D1"]),
                                                      .init(name: "Boot", kind: .simple, sizeBytes: 4 * MiB, disks: ["D1"])],
                                   flags: flags)
        let boot = try XCTUnwrap(g.volumes.first { $0.name.display == "Boot" })
        XCTAssertEqual(boot.flags.words, ["boot", "retained-partition"])
        let entries = mbrEntries(images[0])
        XCTAssertEqual(entries.map(\.type), [0x42, 0x07])
        let dataStart = try XCTUnwrap(g.disks[0].location?.dataStart)
        XCTAssertEqual(UInt64(entries[1].start), dataStart + boot.partitions[0].start, "the retained entry covers the volume")
        XCTAssertEqual(UInt64(entries[1].count), boot.partitions[0].size)
    }

    /// GPT: a basic partition after the LDM data partition, listed first
    /// in the entry array, so neither LDM entry is first or last.
    func testGPTWithABasicPartitionAfterTheLDMData() throws {
        var disks = (1...2).map { ImageSpec.Disk(name: "D\($0)", sizeBytes: 32 * MiB, partitionStyle: .gpt, recordRevision: 4) }
        for i in disks.indices {
            disks[i].trailingBytes = 4 * MiB
            disks[i].basicEntries = [.init(startBytes: 28 * MiB, sizeBytes: 3 * MiB)]
        }
        let (g, images) = try read(disks, volumes: [.init(name: "M", kind: .mirrored, sizeBytes: 4 * MiB, disks: ["D1", "D2"])])
        XCTAssertEqual(g.volumes.map(\.state), [.complete])
        let data = try XCTUnwrap(try PartitionTable.read(from: images[0]).dataEntry)
        XCTAssertEqual(data.number, 4, "LDM data is the fourth GPT entry")
        let dataEnd = data.firstLBA + data.sectorCount
        XCTAssertLessThanOrEqual(dataEnd, 28 * MiB / 512, "the data partition ends before the basic one")
    }
}
