import Foundation
import XCTest
import LDMWriter

/// The ldmtool oracle: libldm (what ldmtool is built on) must read back the
/// groups, volumes and partitions the writer says it wrote. Skipped when
/// /usr/bin/ldmtool is missing.
final class WriterLdmtoolTests: XCTestCase {
    static let ldmtool = "/usr/bin/ldmtool"

    struct Tool {
        let devices: [String]

        /// Runs ldmtool on the devices; stdout as JSON. Its stderr ("Unable to
        /// determine sector size ... Assuming 512", device-mapper notes) is ignored.
        func json(_ args: String...) throws -> Any { try json(args) }

        func json(_ args: [String]) throws -> Any {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: WriterLdmtoolTests.ldmtool)
            p.arguments = devices.flatMap { ["-d", $0] } + args
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else {
                throw NSError(domain: "ldmtool", code: Int(p.terminationStatus),
                              userInfo: [NSLocalizedDescriptionKey: "ldmtool \(args) exited \(p.terminationStatus)"])
            }
            return try JSONSerialization.jsonObject(with: data)
        }

        func object(_ args: String...) throws -> [String: Any] {
            try XCTUnwrap(try json(args) as? [String: Any], "\(args)")
        }
    }

    func requireLdmtool() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.ldmtool) else {
            throw XCTSkip("\(Self.ldmtool) not installed (apt-get install ldmtool)")
        }
    }

    func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ldmtool-oracle-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func writeImages(_ spec: ImageSpec, to dir: URL, content: Bool = false) throws -> [String] {
        try ImageWriter.write(spec).map { image in
            let path = dir.appendingPathComponent(image.fileName).path
            try image.write(to: path, includeContent: content)
            return path
        }
    }

    /// Compares everything ldmtool shows with the writer's plan.
    func check(_ plans: [PlannedGroup], with tool: Tool, devicePaths: [String: String]) throws {
        let scanned = try XCTUnwrap(try tool.json("scan") as? [String])
        XCTAssertEqual(Set(scanned), Set(plans.map(\.guid)))
        for g in plans {
            let dg = try tool.object("show", "diskgroup", g.guid)
            XCTAssertEqual(dg["name"] as? String, g.name)
            XCTAssertEqual(dg["guid"] as? String, g.guid)
            XCTAssertEqual(Set(dg["volumes"] as? [String] ?? []), Set(g.volumes.map(\.name)))
            XCTAssertEqual(Set(dg["disks"] as? [String] ?? []), Set(g.disks.map(\.name)))
            for d in g.disks {
                let disk = try tool.object("show", "disk", g.guid, d.name)
                XCTAssertEqual(disk["guid"] as? String, d.guid, d.name)
                XCTAssertEqual(disk["present"] as? Bool, true, d.name)
                XCTAssertEqual(disk["device"] as? String, devicePaths[d.fileName], d.name)
                XCTAssertEqual(disk["data-start"] as? UInt64, d.dataStart, d.name)
                XCTAssertEqual(disk["data-size"] as? UInt64, d.dataSize, d.name)
                XCTAssertEqual(disk["metadata-start"] as? UInt64, d.configStart, d.name)
                XCTAssertEqual(disk["metadata-size"] as? UInt64, d.configSize, d.name)
            }
            for v in g.volumes {
                let vol = try tool.object("show", "volume", g.guid, v.name)
                let type = ["simple": "simple", "spanned": "spanned", "striped": "striped",
                            "mirrored": "mirrored", "raid5": "RAID5"][v.kind.rawValue]
                XCTAssertEqual(vol["type"] as? String, type, v.name)
                XCTAssertEqual(vol["guid"] as? String, v.guid, v.name)
                XCTAssertEqual(vol["size"] as? UInt64, v.size, v.name)
                XCTAssertEqual(vol["chunk-size"] as? UInt64, v.chunkSize, v.name)
                XCTAssertEqual(vol["hint"] as? String, v.driveHint, v.name)
                let parts = try XCTUnwrap(vol["partitions"] as? [String], v.name)
                if v.kind == .striped || v.kind == .raid5 {
                    XCTAssertEqual(parts, v.partitions.map(\.name), "\(v.name): columns in column order")
                } else {
                    XCTAssertEqual(Set(parts), Set(v.partitions.map(\.name)), v.name)
                }
                for p in v.partitions {
                    let part = try tool.object("show", "partition", g.guid, p.name)
                    XCTAssertEqual(part["start"] as? UInt64, p.start, p.name)
                    XCTAssertEqual(part["size"] as? UInt64, p.size, p.name)
                    XCTAssertEqual(part["disk"] as? String, p.diskName, p.name)
                }
            }
        }
    }

    func testSampleSetReadsBackInLdmtool() throws {
        try requireLdmtool()
        let dir = try tempDir()
        let spec = SampleSpecs.standard()
        let paths = try writeImages(spec, to: dir)
        let byFile = Dictionary(uniqueKeysWithValues: paths.map { (URL(fileURLWithPath: $0).lastPathComponent, $0) })
        try check(try ImageWriter.plan(spec), with: Tool(devices: paths), devicePaths: byFile)
    }

    func testLongNamesFragmentsAndRevisionsReadBackInLdmtool() throws {
        try requireLdmtool()
        let MiB = ImageSpec.MiB
        let long = String(repeating: "L", count: 255)
        var groups: [ImageSpec.Group] = []
        for (i, (rev, minor, vblk)) in [(3, 11, 128), (4, 12, 256), (3, 12, 512)].enumerated() {
            groups.append(.init(
                name: String(repeating: "G\(i)", count: 15) + "x", recordRevision: rev, privheadMinor: minor,
                vblkSize: vblk,
                disks: [.init(name: long, sizeBytes: 16 * MiB, recordRevision: rev),
                        .init(name: "Disk2", sizeBytes: 16 * MiB, partitionStyle: i == 1 ? .gpt : .mbr,
                              recordRevision: 7 - rev),
                        .init(name: "Disk3", sizeBytes: 16 * MiB, dataStart: 2048)],
                volumes: [
                    .init(name: long, kind: .striped, sizeBytes: 4 * MiB, disks: [long, "Disk2"],
                          chunkBytes: 16 * 1024, driveHint: String(repeating: "H", count: 100)),
                    .init(name: "R", kind: .raid5, sizeBytes: 2 * MiB, disks: ["Disk3", long, "Disk2"]),
                    .init(name: "M", kind: .mirrored, sizeBytes: MiB, disks: ["Disk2", "Disk3"]),
                    .init(name: "Sp", kind: .spanned, sizeBytes: 3 * MiB, disks: ["Disk3", long, "Disk3"]),
                ]))
        }
        let spec = ImageSpec(groups: groups)
        let dir = try tempDir()
        let paths = try writeImages(spec, to: dir)
        let byFile = Dictionary(uniqueKeysWithValues: paths.map { (URL(fileURLWithPath: $0).lastPathComponent, $0) })
        try check(try ImageWriter.plan(spec), with: Tool(devices: paths), devicePaths: byFile)
    }

    /// Reassembles each sample volume from the files at the offsets ldmtool
    /// reports (not the writer's own plan) and compares with the known content.
    func testVolumeContentAtLdmtoolsOffsets() throws {
        try requireLdmtool()
        let MiB = ImageSpec.MiB
        let spec = ImageSpec(groups: [.init(
            name: "Content", disks: (1...3).map { .init(name: "Disk\($0)", sizeBytes: 12 * MiB) },
            volumes: [
                .init(name: "Sp", kind: .spanned, sizeBytes: 2 * MiB, disks: ["Disk2", "Disk1"]),
                .init(name: "St", kind: .striped, sizeBytes: 3 * MiB, disks: ["Disk3", "Disk1", "Disk2"]),
                .init(name: "R", kind: .raid5, sizeBytes: 2 * MiB, disks: ["Disk2", "Disk3", "Disk1"]),
            ])])
        let dir = try tempDir()
        let paths = try writeImages(spec, to: dir, content: true)
        let tool = Tool(devices: paths)
        let guid = try XCTUnwrap((try tool.json("scan") as? [String])?.first)
        for name in ["Sp", "St", "R"] {
            let vol = try tool.object("show", "volume", guid, name)
            let chunk = Int(vol["chunk-size"] as? UInt64 ?? 0) * 512
            var columns: [[UInt8]] = []
            for p in vol["partitions"] as? [String] ?? [] {
                let part = try tool.object("show", "partition", guid, p)
                let disk = try tool.object("show", "disk", guid, try XCTUnwrap(part["disk"] as? String))
                let file = try XCTUnwrap(FileHandle(forReadingAtPath: try XCTUnwrap(disk["device"] as? String)))
                let start = ((disk["data-start"] as? UInt64 ?? 0) + (part["start"] as? UInt64 ?? 0)) * 512
                try file.seek(toOffset: start)
                columns.append([UInt8](file.readData(ofLength: Int(part["size"] as? UInt64 ?? 0) * 512)))
            }
            var volume: [UInt8] = []
            let n = columns.count
            switch vol["type"] as? String {
            case "spanned": volume = columns.flatMap { $0 }
            case "striped":
                for r in 0..<(columns[0].count / chunk) { for c in columns { volume += c[r * chunk..<(r + 1) * chunk] } }
            default:  // RAID5, left-symmetric
                for r in 0..<(columns[0].count / chunk) {
                    let parity = n - 1 - r % n
                    for k in 0..<(n - 1) { volume += columns[(parity + 1 + k) % n][r * chunk..<(r + 1) * chunk] }
                }
            }
            let size = Int(vol["size"] as? UInt64 ?? 0) * 512
            XCTAssertEqual(volume.count, size, name)
            if name == "R" {  // one volume by hash, as a reader's test would
                var d = ContentDigest()
                d.update(volume)
                XCTAssertEqual(ContentDigest.hex(d.finalize()),
                               VolumeContent.sha256(group: "Content", volume: name, sectors: UInt64(size / 512)), name)
            } else {
                XCTAssert(volume == VolumeContent.bytes(group: "Content", volume: name, sectors: 0..<UInt64(size / 512)), name)
            }
        }
    }

    /// ldmtool takes the sector size from the block device, so 4096-byte
    /// images can only be checked through loop devices with 4 KiB sectors
    /// (root and losetup needed).
    func testFourKSampleOnLoopDevices() throws {
        try requireLdmtool()
        let losetup = ["/usr/sbin/losetup", "/sbin/losetup"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard getuid() == 0, let losetup, FileManager.default.fileExists(atPath: "/dev/loop-control") else {
            throw XCTSkip("4096-byte-sector images need ldmtool on a loop device with 4 KiB sectors "
                + "(losetup --sector-size 4096); this host lacks root, losetup or /dev/loop-control")
        }
        let dir = try tempDir()
        let spec = SampleSpecs.standard(sectorSize: 4096)
        let paths = try writeImages(spec, to: dir)
        var loops: [String: String] = [:]
        defer {
            for dev in loops.values { _ = try? runTool(losetup, ["-d", dev]) }
        }
        for path in paths {
            guard let dev = try? runTool(losetup, ["--sector-size", "4096", "-f", "--show", path]),
                  dev.hasPrefix("/dev/loop") else {
                throw XCTSkip("could not attach a 4 KiB-sector loop device for \(path)")
            }
            loops[URL(fileURLWithPath: path).lastPathComponent] = dev
        }
        let devices = paths.map { loops[URL(fileURLWithPath: $0).lastPathComponent]! }
        try check(try ImageWriter.plan(spec), with: Tool(devices: devices), devicePaths: loops)
    }

    private func runTool(_ path: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CocoaError(.fileReadUnknown) }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
