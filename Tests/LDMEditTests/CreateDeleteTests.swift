import Foundation
import XCTest
import LDM
import LDMWriter
import BlockDevices
@testable import LDMEdit

/// A group with room to spare: five 24 MiB disks, a simple volume on
/// Disk1 and a mirror over Disk2 and Disk3.
func editSpec(revision: Int = 3, sectorSize: Int = 512) -> ImageSpec {
    let MiB = ImageSpec.MiB
    let gpt = revision == 4
    let disks = (1...5).map {
        ImageSpec.Disk(name: "Disk\($0)", sizeBytes: 24 * MiB, partitionStyle: gpt ? .gpt : .mbr, sectorSize: sectorSize,
                       recordRevision: revision)
    }
    var group = ImageSpec.Group(
        name: "EditGroup", recordRevision: revision, privheadMinor: gpt ? 12 : 11, disks: disks,
        volumes: [
            .init(name: "Volume1", kind: .simple, sizeBytes: 4 * MiB, disks: ["Disk1"], driveHint: "E:"),
            .init(name: "Volume2", kind: .mirrored, sizeBytes: 4 * MiB, disks: ["Disk2", "Disk3"], driveHint: "F:"),
        ])
    group.spareSlots = 64
    return ImageSpec(groups: [group])
}

let creations: [VolumeRequest] = [
    VolumeRequest(type: .simple, sizeBytes: 3 << 20, disks: ["Disk4"]),
    VolumeRequest(type: .spanned, sizeBytes: 30 << 20, disks: ["Disk4", "Disk5"], driveHint: "K:"),
    VolumeRequest(type: .striped, sizeBytes: 6 << 20, disks: ["Disk1", "Disk4", "Disk5"]),
    VolumeRequest(type: .mirrored, sizeBytes: 5 << 20),
    VolumeRequest(type: .raid5, sizeBytes: 8 << 20, disks: ["Disk2", "Disk3", "Disk4"], chunkBytes: 128 << 10),
]

final class CreateDeleteTests: XCTestCase {
    /// Creates `request` for real on the bench's files and returns the plan.
    @discardableResult
    func create(_ bench: Workbench, _ request: VolumeRequest) throws -> (ChangePlan, Transaction) {
        let g = try bench.editable()
        let plan = try CreatePlanner.plan(g, request)
        let t = try Transaction(g, plan)
        var w = FileSectorWriter()
        try t.run(&w)
        return (plan, t)
    }

    func testEachTypeIsCreatedAndReadBackByLdmctlAndLdmtool() throws {
        for (revision, ss) in [(3, 512), (4, 512), (4, 4096)] {
            for request in creations {
                var bench = try Workbench(editSpec(revision: revision, sectorSize: ss))
                bench.sectorSize = ss
                defer { bench.remove() }
                let before = try bench.read()
                let ranges = try bench.databaseRanges()
                let bytesBefore = try bench.contents()
                let (plan, t) = try create(bench, request)
                let after = try bench.read()
                XCTAssertEqual(after.errors, [], "\(request.type)")
                let g = try XCTUnwrap(after.group)
                XCTAssertEqual(g.committedSequence, plan.pendingID)
                let v = try XCTUnwrap(g.volumes.first { $0.name == plan.volume }, "\(request.type)")
                XCTAssertEqual(v.type, request.type)
                XCTAssertEqual(v.state, .complete)
                XCTAssertGreaterThanOrEqual(v.size * UInt64(ss), request.sizeBytes)
                XCTAssertLessThan(v.size * UInt64(ss), request.sizeBytes + 3 << 20)
                XCTAssertEqual(v.driveHint?.display, request.driveHint)
                XCTAssertEqual(v.partitions.map(\.name), plan.extents.map(\.partition))
                if !request.disks.isEmpty, request.type != .spanned {
                    XCTAssertEqual(v.partitions.map { g.disk(id: $0.diskID)!.name.display }, request.disks)
                }
                if request.type == .striped || request.type == .raid5 {
                    XCTAssertEqual(v.chunkSize * UInt64(ss), request.chunkBytes)
                    XCTAssertEqual(Set(v.partitions.map(\.size)).count, 1)
                }
                // Old volumes unchanged.
                for old in before.group!.volumes {
                    XCTAssertEqual(g.volumes.first { $0.id == old.id }, old)
                }
                XCTAssertEqual(g.volumes.count, before.group!.volumes.count + 1)
                // Only the database areas changed.
                let bytesAfter = try bench.contents()
                for i in bench.paths.indices {
                    XCTAssertTrue(sameOutside(bytesBefore[i], bytesAfter[i], ranges[i]), "\(bench.paths[i]): bytes outside the database changed")
                    XCTAssertFalse(sameOutside(bytesBefore[i], bytesAfter[i], 0..<0), "the database itself changed")
                }
                XCTAssertGreaterThan(t.writeCount, 0)
                if ss == 512 { try Ldmtool.assertAgrees(bench.paths, g, v) }  // ldmtool assumes 512-byte sectors
                // Delete it again: the old configuration is back.
                let del = try DeletePlanner.plan(try bench.editable(), volume: v.name.display)
                let dt = try Transaction(try bench.editable(), del)
                var w = FileSectorWriter()
                try dt.run(&w)
                let back = try bench.read()
                XCTAssertEqual(back.errors, [])
                XCTAssertEqual(shape(back.group!), shape(before.group!), "\(request.type) revision \(revision)")
            }
        }
    }

    /// Planning is pure: the images stay in memory (`DiskImage` is a
    /// sector source), nothing touches a disk.
    func testPlannedNamesAndIdsFollowWindows() throws {
        let g = try GroupLoader(sources: try ImageWriter.write(editSpec())).editable(nil)
        let c = max(g.members[0].committedID, g.members[0].slots.compactMap(\.objectID).max()!)
        let simple = try CreatePlanner.plan(g, VolumeRequest(type: .simple, sizeBytes: 1 << 20))
        XCTAssertEqual(simple.volume.display, "Volume3")
        XCTAssertEqual(simple.newRecords.prefix(3).map(\.objectID), [c + 1, c + 3, c + 5])
        XCTAssertEqual(simple.pendingID, c + 6)
        XCTAssertEqual(simple.extents.map(\.partition.display), ["Disk1-02"])
        XCTAssertEqual(simple.extents[0].start, g.group.disks[0].regions.first { $0.partitionName == nil }!.start)
        XCTAssertEqual(simple.newRecords.map(\.kind), ["volume", "component", "partition", "disk"])
        XCTAssertEqual(try CreatePlanner.plan(g, VolumeRequest(type: .striped, sizeBytes: 1 << 20)).volume.display, "Stripe1")
        XCTAssertEqual(try CreatePlanner.plan(g, VolumeRequest(type: .raid5, sizeBytes: 1 << 20)).volume.display, "Raid1")
        let mirror = try CreatePlanner.plan(g, VolumeRequest(type: .mirrored, sizeBytes: 1 << 20, disks: ["Disk4", "Disk5"]))
        XCTAssertEqual(mirror.newRecords.filter { $0.kind == "component" }.map(\.name), ["Volume3-01", "Volume3-02"])
        // Striped per-member size: whole MiB, hence whole chunks.
        let striped = try CreatePlanner.plan(g, VolumeRequest(type: .striped, sizeBytes: 5 << 20, disks: ["Disk4", "Disk5"]))
        XCTAssertEqual(striped.extents.map(\.size), [6144, 6144])
        XCTAssertEqual(striped.volumeSize, 12288)
    }

    func testBadRequestsAreRefusedAndNothingIsWritten() throws {
        let bench = try Workbench(editSpec())
        defer { bench.remove() }
        let before = try bench.contents()
        let g = try bench.editable()
        let cases: [(VolumeRequest, String)] = [
            (VolumeRequest(type: .simple, sizeBytes: 200 << 20), "needs 200 MiB of contiguous free space"),
            (VolumeRequest(type: .simple, sizeBytes: 20 << 20, disks: ["Disk2"]), "disk Disk2 has no free region of 20 MiB"),
            (VolumeRequest(type: .striped, sizeBytes: 1 << 20, disks: ["Disk4"]), "needs 2 to 32 disk(s); 1 given"),
            (VolumeRequest(type: .raid5, sizeBytes: 1 << 20, disks: ["Disk4", "Disk5"]), "needs 3 to 32 disk(s); 2 given"),
            (VolumeRequest(type: .mirrored, sizeBytes: 1 << 20, disks: ["Disk4", "Disk9"]), "disk Disk9 is not in disk group EditGroup"),
            (VolumeRequest(type: .simple, sizeBytes: 1 << 20, name: "volume1"), "already has a volume named volume1"),
            (VolumeRequest(type: .simple, sizeBytes: 1 << 20, driveHint: "E:"), "already volume Volume1's"),
            (VolumeRequest(type: .striped, sizeBytes: 1 << 20, chunkBytes: 3000), "power of two"),
            (VolumeRequest(type: .spanned, sizeBytes: 1 << 20, disks: ["Disk4", "Disk5"]), "fits on disk Disk4 alone"),
            (VolumeRequest(type: .mirrored, sizeBytes: 30 << 20), "needs 30 MiB of contiguous free space on each of 2 disk(s)"),
            // Sizes whose rounding to sectors, MiB or columns would overflow
            // (they trapped before: --size 18446744073709551615).
            (VolumeRequest(type: .simple, sizeBytes: .max), "larger than any disk group holds"),
            (VolumeRequest(type: .spanned, sizeBytes: .max - 511), "larger than any disk group holds"),
            (VolumeRequest(type: .raid5, sizeBytes: (1 << 60) + 1), "larger than any disk group holds"),
        ]
        for (request, message) in cases {
            XCTAssertThrowsError(try CreatePlanner.plan(g, request), message) { e in
                XCTAssertTrue("\(e)".contains(message), "\"\(e)\" lacks \"\(message)\"")
            }
        }
        XCTAssertThrowsError(try DeletePlanner.plan(g, volume: "Nope")) { e in
            XCTAssertTrue("\(e)".contains("has no volume Nope"), "\(e)")
        }
        XCTAssertEqual(try bench.contents(), before)
    }

    func testMissingDiskAndDirtyDatabaseAreRefused() throws {
        let bench = try Workbench(editSpec())
        defer { bench.remove() }
        // A missing disk.
        let fewer = GroupLoader(sources: try bench.paths.dropLast().map { try FileSectorSource(path: $0) })
        XCTAssertThrowsError(try fewer.editable(nil)) { e in
            XCTAssertTrue("\(e)".contains("disk Disk5") && "\(e)".contains("is missing"), "\(e)")
        }
        // A change cut short: VMDB update status 2 on one disk.
        let g = try bench.editable()
        let m = g.members[2]
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: m.device.string!))
        try h.seek(toOffset: m.vmdbLBA * 512 + 0x10)
        h.write(Data([0, 2]))
        try h.close()
        XCTAssertThrowsError(try bench.editable()) { e in
            XCTAssertTrue("\(e)".contains(m.device.display) && "\(e)".contains("middle of a change"), "\(e)")
        }
    }

    /// Fails the N-th sector write for every N and reads the disks back:
    /// the old configuration until the first step-4 write has landed on a
    /// disk, the new one after; never a mix, never an error.
    func testEveryInterruptionReadsAsOldOrNew() throws {
        let bench = try Workbench(editSpec())
        defer { bench.remove() }
        let ranges = try bench.databaseRanges()
        let pristine = try bench.contents()
        let old = describe(try bench.read().group!)
        var jobs: [(String, (EditableGroup) throws -> ChangePlan)] = creations.map { r in
            ("create \(r.type)", { g in try CreatePlanner.plan(g, r) })
        }
        jobs.append(("delete Volume2", { g in try DeletePlanner.plan(g, volume: "Volume2") }))
        for (name, makePlan) in jobs {
            try bench.restore(pristine, ranges: ranges)
            let g = try bench.editable()
            let t = try Transaction(g, try makePlan(g))
            var full = FileSectorWriter()
            try t.run(&full)
            let new = describe(try bench.read().group!)
            XCTAssertNotEqual(old, new)
            let commitPoint = t.steps[0...2].reduce(0) { $0 + $1.writes.count } + 1  // first step-4 write
            for n in 1...t.writeCount {
                try bench.restore(pristine, ranges: ranges)
                var w = FailingSectorWriter(FileSectorWriter(sync: false), failAt: n)
                XCTAssertThrowsError(try t.run(&w))
                let r = try bench.read()
                XCTAssertEqual(r.errors, [], "\(name): write \(n) of \(t.writeCount)")
                guard let group = r.group else { continue }
                XCTAssertEqual(describe(group), n > commitPoint ? new : old, "\(name): failed at write \(n) of \(t.writeCount)")
            }
            print("\(name): \(t.writeCount) sector writes (\(t.steps.map { "\($0.writes.count)" }.joined(separator: "+")))")
        }
    }
}

final class MemberDatabaseTests: XCTestCase {
    /// A one-slot (blank) record sharing a group number with a two-slot
    /// record (the reader accepts that): the two-slot record's slots cannot be told
    /// apart from the other's, so it is not retired (clearing the wrong slot
    /// would destroy another record) and the delete is refused.
    func testAmbiguousFragmentsAreNotRetired() throws {
        var spec = editSpec()
        spec.groups[0].vblkSize = 64
        var images = try ImageWriter.write(spec)
        let g = try GroupLoader(sources: images).editable(nil)
        let m = g.members[0]
        let volume = try XCTUnwrap(g.group.volumes.first { $0.name.display == "Volume1" })
        let slots = m.slots(ofObject: volume.id)
        XCTAssertEqual(slots.count, 2, "the volume record takes two 64-byte slots")
        let head = m.slots[slots[0] - m.firstSlot]
        // A free slot made a one-slot blank record (type 0, which readers
        // skip) in the volume record's group.
        let free = try XCTUnwrap(m.slots.first(where: \.isFree))
        for i in images.indices {
            images[i].patch(at: m.vmdbLBA * 512 + UInt64(free.sequence * m.vblkSize + 8),
                            bytes: be32bytes(head.groupNumber) + [0, 0, 0, 1])
        }
        let loader = GroupLoader(sources: images)
        XCTAssertEqual(loader.errors, [], "the reader accepts it")
        let g2 = try loader.editable(nil)
        XCTAssertEqual(g2.members[0].slots(ofObject: volume.id), [])
        XCTAssertThrowsError(try DeletePlanner.plan(g2, volume: "Volume1")) { e in
            XCTAssertTrue("\(e)".contains("was not found in the database"), "\(e)")
        }
    }
}

func be32bytes(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * (3 - $0))) & 0xFF) } }

/// Whether `a` and `b` hold the same bytes outside `skip` (memcmp: the
/// images are tens of MiB).
func sameOutside(_ a: [UInt8], _ b: [UInt8], _ skip: Range<Int>) -> Bool {
    guard a.count == b.count else { return false }
    return a.withUnsafeBytes { x in
        b.withUnsafeBytes { y in
            memcmp(x.baseAddress!, y.baseAddress!, skip.lowerBound) == 0
                && memcmp(x.baseAddress! + skip.upperBound, y.baseAddress! + skip.upperBound, a.count - skip.upperBound) == 0
        }
    }
}
