import Foundation
import XCTest
import LDM
import DMTable
import BlockDevices

/// The reader and the planner against disks Windows wrote, checked against
/// independent oracles: ldmtool's view of the same images, and the NTFS
/// file `test.txt` (`Filesystem test`) inside every volume.
final class RealImageTests: XCTestCase {
    func ldmtool(_ paths: [String], _ args: [String]) throws -> [String: Any] {
        guard let tool = which("ldmtool") else { throw XCTSkip("ldmtool not installed (apt-get install ldmtool)") }
        let out = try runTool(tool, paths.flatMap { ["-d", $0] } + args)
        return try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
    }

    func testGroupsVolumesAndPartitionsMatchLdmtool() throws {
        let paths = try RealImages.paths()
        let groups = try RealImages.groups(paths)
        XCTAssertEqual(groups.count, 1)
        let g = groups[0]
        XCTAssertEqual(g.guid.text, RealImages.groupGUID)
        let dg = try ldmtool(paths, ["show", "diskgroup", RealImages.groupGUID])
        XCTAssertEqual(g.name.display, dg["name"] as? String)
        XCTAssertEqual(Set(g.volumes.map(\.name.display)), Set(dg["volumes"] as! [String]))
        XCTAssertEqual(Set(g.disks.map(\.name.display)), Set(dg["disks"] as! [String]))
        XCTAssertEqual(g.presentDiskCount, 10)

        for v in g.volumes {
            let lv = try ldmtool(paths, ["show", "volume", RealImages.groupGUID, v.name.display])
            let type = (lv["type"] as! String).lowercased()
            XCTAssertEqual(v.type.rawValue, type, v.name.display)
            XCTAssertEqual(v.size, (lv["size"] as! NSNumber).uint64Value, v.name.display)
            XCTAssertEqual(v.chunkSize, (lv["chunk-size"] as! NSNumber).uint64Value, v.name.display)
            XCTAssertEqual(v.guid?.text, lv["guid"] as? String)
            XCTAssertEqual(v.driveHint?.display, lv["hint"] as? String)
            // Same members in the same order (plex, then column or offset).
            XCTAssertEqual(v.partitions.map(\.name.display), lv["partitions"] as! [String], v.name.display)
            XCTAssertEqual(v.state, .complete)
            for p in v.partitions {
                let lp = try ldmtool(paths, ["show", "partition", RealImages.groupGUID, p.name.display])
                XCTAssertEqual(p.start, (lp["start"] as! NSNumber).uint64Value, p.name.display)
                XCTAssertEqual(p.size, (lp["size"] as! NSNumber).uint64Value, p.name.display)
                XCTAssertEqual(g.disk(id: p.diskID)?.name.display, lp["disk"] as? String)
            }
        }
        for d in g.disks {
            let ld = try ldmtool(paths, ["show", "disk", RealImages.groupGUID, d.name.display])
            XCTAssertEqual(d.guid.text, ld["guid"] as? String)
            XCTAssertEqual(d.location?.dataStart, (ld["data-start"] as! NSNumber).uint64Value)
            XCTAssertEqual(d.location?.dataSize, (ld["data-size"] as! NSNumber).uint64Value)
            XCTAssertEqual(d.location?.databaseStart, (ld["metadata-start"] as! NSNumber).uint64Value)
        }
    }

    /// Windows left an older TOCBLOCK pair beside the current one on these
    /// disks (update sequence 4 at database sectors 2 and 2045, 5 at 1 and
    /// 2046). The current pair is the one the PRIVHEAD names, and its update
    /// sequence is the PRIVHEAD's; every header's checksum holds.
    func testTheCurrentTOCBLOCKIsTheOneThePRIVHEADNames() throws {
        for path in try RealImages.paths() {
            let m = try DiskMetadata.read(from: FileSectorSource(path: path))
            XCTAssertEqual(m.privateHeader.primaryTOC, 1, path)
            XCTAssertEqual(m.privateHeader.secondaryTOC, 2046, path)
            XCTAssertEqual(m.toc.updateSequence, m.privateHeader.updateSequence, path)
            XCTAssertEqual(m.notes, [], path)
        }
    }

    /// Every volume, read through its tables, holds an NTFS whose test.txt
    /// says `Filesystem test`; each redundant volume with any one member
    /// missing reads back byte-identical.
    func testEveryVolumeReadsBackThroughItsTables() throws {
        let paths = try RealImages.paths()
        guard let ntfscat = which("ntfscat") else { throw XCTSkip("ntfscat not installed (apt-get install ntfs-3g)") }
        let g = try RealImages.groups(paths)[0]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ldmctl-vol-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        for v in g.volumes {
            let stack = try TablePlanner().plan(g, v)
            var emulator = TableEmulator(stack)
            let image = dir.appendingPathComponent("\(v.name.display).img").path
            try emulator.dump(stack, to: image)
            XCTAssertEqual(try runTool(ntfscat, [image, "test.txt"]), "Filesystem test", v.name.display)

            guard v.type == .mirrored || v.type == .raid5 else { continue }
            let whole = try Data(contentsOf: URL(fileURLWithPath: image))
            for missing in Set(v.partitions.map(\.diskID)).sorted() {
                var degraded = g
                let i = degraded.disks.firstIndex { $0.id == missing }!
                degraded.disks[i].location = nil
                let present = Set(degraded.disks.filter(\.isPresent).map(\.id))
                var dv = v
                dv.state = GroupAssembler.state(of: v, present: present)
                XCTAssertEqual(dv.state, .degraded)
                let dstack = try TablePlanner().plan(degraded, dv)
                XCTAssertTrue(dstack.top.targets[0].params.contains("- -"))
                var demu = TableEmulator(dstack)
                let dimage = dir.appendingPathComponent("\(v.name.display)-degraded.img").path
                try demu.dump(dstack, to: dimage)
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dimage)), whole,
                               "\(v.name.display) without disk \(missing)")
            }
        }
    }
}
