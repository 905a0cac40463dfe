import Foundation
import XCTest
import LDM
import BlockDevices
@testable import LDMEdit

/// Both commands on databases Windows wrote: copies of the 2003 R2 images
/// (temporary, never committed). They are full, so volumes are deleted
/// first and new ones created in the space left.
final class RealImageEditTests: XCTestCase {
    func run(_ bench: Workbench, _ plan: (EditableGroup) throws -> ChangePlan) throws -> ChangePlan {
        let g = try bench.editable()
        let p = try plan(g)
        var w = FileSectorWriter()
        try Transaction(g, p).run(&w)
        return p
    }

    func testDeleteThenCreateEachTypeInTheFreedSpace() throws {
        let bench = try Workbench.real()
        defer { bench.remove() }
        let original = try XCTUnwrap(try bench.read().group)
        let committed = original.committedSequence
        XCTAssertEqual(committed, 1133)
        for v in ["Raid1", "Volume3", "Volume1"] {
            let p = try run(bench) { try DeletePlanner.plan($0, volume: v) }
            let r = try bench.read()
            XCTAssertEqual(r.errors, [])
            XCTAssertEqual(r.group?.committedSequence, p.pendingID)
            XCTAssertNil(r.group?.volumes.first { $0.name.display == v })
        }
        XCTAssertEqual(try bench.read().group?.committedSequence, committed + 3)
        let requests = [
            VolumeRequest(type: .simple, sizeBytes: 20 << 20, disks: ["Disk1"], driveHint: "E:"),
            VolumeRequest(type: .mirrored, sizeBytes: 40 << 20, disks: ["Disk6", "Disk7"]),
            VolumeRequest(type: .striped, sizeBytes: 20 << 20, disks: ["Disk8", "Disk9"]),
            VolumeRequest(type: .raid5, sizeBytes: 20 << 20, disks: ["Disk8", "Disk9", "Disk10"]),
            VolumeRequest(type: .spanned, sizeBytes: 30 << 20, disks: ["Disk1", "Disk10"]),
        ]
        let expectedNames = ["Volume1", "Volume3", "Stripe2", "Raid1", "Volume5"]
        for (request, name) in zip(requests, expectedNames) {
            let before = try XCTUnwrap(try bench.read().group)
            let p = try run(bench) { try CreatePlanner.plan($0, request) }
            // Windows' numbering: ids committed+1, +3, ...; the change's id committed + 2n.
            let n = UInt64(p.newRecords.filter { $0.kind != "disk" }.count)
            XCTAssertEqual(p.newRecords.filter { $0.kind != "disk" }.map(\.objectID),
                           (0..<n).map { before.committedSequence + 1 + 2 * $0 })
            XCTAssertEqual(p.pendingID, before.committedSequence + 2 * n)
            let r = try bench.read()
            XCTAssertEqual(r.errors, [])
            let g = try XCTUnwrap(r.group)
            XCTAssertEqual(g.committedSequence, p.pendingID)
            let v = try XCTUnwrap(g.volumes.first { $0.name.display == name }, "\(request.type)")
            XCTAssertEqual(v.type, request.type)
            XCTAssertEqual(v.size * 512, request.sizeBytes)
            XCTAssertEqual(v.state, .complete)
            for old in before.volumes { XCTAssertEqual(g.volumes.first { $0.id == old.id }, old, old.name.display) }
            try Ldmtool.assertAgrees(bench.paths, g, v)
        }
        // The volumes never touched read as Windows left them.
        let final = try XCTUnwrap(try bench.read().group)
        for name in ["Volume2", "Volume4", "Stripe1"] {
            XCTAssertEqual(final.volumes.first { $0.name.display == name }, original.volumes.first { $0.name.display == name })
        }
    }

    /// Every cut of a delete and of a create, on Windows' own database.
    func testInterruptionsOnTheRealDatabase() throws {
        let bench = try Workbench.real()
        defer { bench.remove() }
        let ranges = try bench.databaseRanges()
        let pristine = try bench.contents()
        let old = describe(try bench.read().group!)
        let g = try bench.editable()
        let delete = try Transaction(g, try DeletePlanner.plan(g, volume: "Volume1"))
        var w = FileSectorWriter()
        try delete.run(&w)
        let deleted = try bench.contents()
        let afterDelete = describe(try bench.read().group!)
        let g2 = try bench.editable()
        let create = try Transaction(g2, try CreatePlanner.plan(g2, VolumeRequest(type: .simple, sizeBytes: 40 << 20)))
        try create.run(&w)
        let afterCreate = describe(try bench.read().group!)
        for (t, start, before, after) in [(delete, pristine, old, afterDelete), (create, deleted, afterDelete, afterCreate)] {
            let commitPoint = t.steps[0...2].reduce(0) { $0 + $1.writes.count } + 1
            for n in stride(from: 1, through: t.writeCount, by: 1) {
                try bench.restore(start, ranges: ranges)
                var f = FailingSectorWriter(FileSectorWriter(sync: false), failAt: n)
                XCTAssertThrowsError(try t.run(&f))
                let r = try bench.read()
                XCTAssertEqual(r.errors, [], "write \(n)")
                XCTAssertEqual(r.group.map(describe), n > commitPoint ? after : before, "\(t.plan.action) cut at write \(n) of \(t.writeCount)")
            }
        }
    }
}
