import Foundation
import XCTest
import LDM
import LDMWriter
import DMTable
import BlockDevices

/// Tables of written images, read back through a user-space model of the
/// kernel's targets, must give each volume's known contents exactly: the
/// writer and the planner were written independently from the format facts.
final class WrittenImageTableTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ldmctl-written-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Every volume type, MBR and GPT, but small: the test reads every
    /// byte through a user-space model of the targets (slow under the
    /// sanitizers), so the volumes hold a few chunks each, not megabytes.
    static func compactSpec(sectorSize: Int) -> ImageSpec {
        let KiB = ImageSpec.KiB, MiB = ImageSpec.MiB
        let mbrDisks = (1...5).map { ImageSpec.Disk(name: "Disk\($0)", sizeBytes: 8 * MiB, sectorSize: sectorSize) }
        let gptDisks = (1...2).map {
            ImageSpec.Disk(name: "Disk\($0)", sizeBytes: 8 * MiB, partitionStyle: .gpt, sectorSize: sectorSize, recordRevision: 4)
        }
        return ImageSpec(groups: [
            .init(name: SampleSpecs.mbrGroupName, disks: mbrDisks, volumes: [
                .init(name: "Simple", kind: .simple, sizeBytes: 512 * KiB, disks: ["Disk1"]),
                .init(name: "Spanned", kind: .spanned, sizeBytes: 768 * KiB, disks: ["Disk2", "Disk3"],
                      spanBytes: [256 * KiB, 512 * KiB]),
                .init(name: "Striped", kind: .striped, sizeBytes: 768 * KiB, disks: ["Disk1", "Disk2", "Disk3"]),
                .init(name: "Mirror", kind: .mirrored, sizeBytes: 512 * KiB, disks: ["Disk4", "Disk5"]),
                .init(name: "Raid5", kind: .raid5, sizeBytes: 768 * KiB, disks: ["Disk3", "Disk4", "Disk5"]),
            ]),
            .init(name: SampleSpecs.gptGroupName, recordRevision: 4, privheadMinor: 12, disks: gptDisks, volumes: [
                .init(name: "GptSimple", kind: .simple, sizeBytes: 256 * KiB, disks: ["Disk1"]),
                .init(name: "GptStriped", kind: .striped, sizeBytes: 512 * KiB, disks: ["Disk1", "Disk2"]),
            ]),
        ])
    }

    func writeSample(sectorSize: Int = 512) throws -> [String] {
        var paths: [String] = []
        for image in try ImageWriter.write(Self.compactSpec(sectorSize: sectorSize)) {
            let path = dir.appendingPathComponent(image.fileName).path
            try image.write(to: path)
            paths.append(path)
        }
        return paths
    }

    func groups(_ paths: [String], sectorSize: Int = 512) -> [DiskGroup] {
        let scan = DiskScanner(imageSectorSize: sectorSize).scan(paths)
        XCTAssertEqual(scan.errors, [])
        let r = GroupAssembler.assemble(scan.members)
        XCTAssertEqual(r.errors, [])
        return r.groups
    }

    func digest(_ stack: VolumeStack) throws -> String {
        var emulator = TableEmulator(stack)
        var d = ContentDigest()
        var s: UInt64 = 0
        let top = stack.top
        while s < top.length {
            let n = Int(min(4096, top.length - s))
            d.update(try emulator.read(top, s, n))
            s += UInt64(n)
        }
        return ContentDigest.hex(d.finalize())
    }

    func expected(_ g: DiskGroup, _ v: Volume) -> String {
        VolumeContent.sha256(group: g.name.display, volume: v.name.display, sectors: v.size * UInt64(g.sectorSize / 512))
    }

    func testEveryVolumeReadsItsKnownContents() throws {
        for sectorSize in [512, 4096] {
            let paths = try writeSample(sectorSize: sectorSize)
            for g in groups(paths, sectorSize: sectorSize) {
                for v in g.volumes {
                    let stack = try TablePlanner().plan(g, v)
                    XCTAssertEqual(try digest(stack), expected(g, v), "\(v.name.display) at \(sectorSize)-byte sectors")
                }
            }
            for p in paths { try FileManager.default.removeItem(atPath: p) }
        }
    }

    func testDegradedVolumesReadTheSameContents() throws {
        let paths = try writeSample()
        let all = groups(paths).first { $0.name.display == SampleSpecs.mbrGroupName }!
        for v in all.volumes where v.type == .mirrored || v.type == .raid5 {
            for disk in Set(v.partitions.map(\.diskID)) {
                let name = all.disk(id: disk)!.location!.device.string!
                let g = groups(paths.filter { $0 != name }).first { $0.name.display == SampleSpecs.mbrGroupName }!
                let dv = g.volumes.first { $0.id == v.id }!
                XCTAssertEqual(dv.state, .degraded)
                let stack = try TablePlanner().plan(g, dv)
                XCTAssertTrue(stack.top.targets[0].params.contains("- -"), stack.top.targets[0].params)
                XCTAssertEqual(try digest(stack), expected(g, dv), "\(v.name.display) without \(name)")
                XCTAssertThrowsError(try TablePlanner().plan(g, dv, allowDegraded: false))
            }
        }
    }

    func testIncompleteVolumesGetNoTable() throws {
        let paths = try writeSample()
        let g = groups(Array(paths.dropFirst())).first { $0.name.display == SampleSpecs.mbrGroupName }!
        let simple = g.volumes.first { $0.name.display == "Simple" }!
        XCTAssertEqual(simple.state, .incomplete)
        XCTAssertThrowsError(try TablePlanner().plan(g, simple)) { error in
            XCTAssertTrue("\(error)".contains("Disk1"), "\(error)")
        }
    }

    func testEveryTargetStaysInsideItsMembersDataArea() throws {
        let paths = try writeSample()
        for g in groups(paths) {
            let areas = Dictionary(uniqueKeysWithValues: g.disks.compactMap { d in
                d.location.map { ($0.device, ($0.dataStart * 512 / 512, ($0.dataStart + $0.dataSize))) }
            })
            for v in g.volumes {
                for d in try TablePlanner().plan(g, v).devices {
                    for t in d.targets where t.type == "linear" {
                        let p = t.params.split(separator: " ")
                        let (lo, hi) = areas[DevicePath(String(p[0]))]!
                        let start = UInt64(p[1])!
                        XCTAssertTrue(start >= lo && start + t.length <= hi, "\(d.name): \(t.line)")
                    }
                }
            }
        }
    }
}

/// A member Windows marked out of date is planned as missing: the mirror
/// starts degraded on the good plex, never over the stale one.
final class OutOfDateMemberTableTests: XCTestCase {
    func testStalePlexIsLeftOutOfTheMirrorTable() throws {
        let MiB = ImageSpec.MiB
        var group = ImageSpec.Group(name: "Stale", disks: [.init(name: "D1", sizeBytes: 16 * MiB), .init(name: "D2", sizeBytes: 16 * MiB)],
                                    volumes: [.init(name: "M", kind: .mirrored, sizeBytes: 2 * MiB, disks: ["D1", "D2"]),
                                              .init(name: "S", kind: .simple, sizeBytes: 2 * MiB, disks: ["D1"])])
        group.windowsFlags.extents["M/D1"] = 0x08
        let members = try ImageWriter.write(ImageSpec(groups: [group])).map { try DiskMetadata.read(from: $0) }
        let g = try XCTUnwrap(GroupAssembler.assemble(members).groups.first)
        let m = try XCTUnwrap(g.volumes.first { $0.name.display == "M" })
        let stack = try TablePlanner().plan(g, m)
        XCTAssertTrue(stack.degraded)
        XCTAssertEqual(stack.devices.count, 2, "one helper (plex 1) and the array")
        let raid = try XCTUnwrap(stack.devices.last?.targets.first)
        XCTAssertTrue(raid.params.hasSuffix("2 - - - /dev/mapper/\(stack.devices[0].name)"), raid.params)
        XCTAssertTrue(stack.notes.contains { $0.contains("out of date") }, "\(stack.notes)")
        XCTAssertThrowsError(try TablePlanner().plan(g, m, allowDegraded: false))
    }
}

/// A group Windows marks not to be imported automatically: hotplug and the
/// boot unit (the pipeline's `automatic` mode) leave it alone, a user's own
/// `activate` and `table` still plan it.
final class NoAutoImportTests: XCTestCase {
    func testOnlyAutomaticActivationLeavesTheGroupAlone() throws {
        var group = ImageSpec.Group(name: "Manual", disks: [.init(name: "D1", sizeBytes: 16 * ImageSpec.MiB)],
                                    volumes: [.init(name: "S", kind: .simple, sizeBytes: 2 * ImageSpec.MiB, disks: ["D1"])])
        group.windowsFlags.privateHeader = 0x02
        let images = try ImageWriter.write(ImageSpec(groups: [group]))
        var automatic = VolumePipeline()
        automatic.automatic = true
        let refused = automatic.run(images)
        XCTAssertEqual(refused.stacks.count, 0)
        XCTAssertEqual(refused.planErrors.map(\.problem), [VolumePipeline.noAutoImport])
        let manual = VolumePipeline().run(images)
        XCTAssertEqual(manual.stacks.map(\.volumeName), ["S"])
        XCTAssertEqual(manual.errors, [])
        // Without the flag, automatic activation plans it.
        group.windowsFlags.privateHeader = 0
        XCTAssertEqual(automatic.run(try ImageWriter.write(ImageSpec(groups: [group]))).stacks.count, 1)
    }
}
