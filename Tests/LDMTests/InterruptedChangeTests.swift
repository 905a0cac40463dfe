import XCTest
import LDM
import LDMWriter

/// A database Windows left in the middle of a change: the reader settles it
/// as Windows does on its next import (roll back before the commit point,
/// forward after it), never mixing old and new records, and the disks of a
/// group that stopped at different steps settle together.
final class InterruptedChangeTests: XCTestCase {
    static let sequence: UInt64 = 0x500

    /// Keep stays; the change deletes Old (on D1) and creates New (on D2).
    static func images(_ phases: [ChangePhase?]) throws -> [DiskImage] {
        let MiB = ImageSpec.MiB
        let spec = ImageSpec(groups: [.init(
            name: "Chg", sequence: Self.sequence,
            disks: [.init(name: "D1", sizeBytes: 16 * MiB), .init(name: "D2", sizeBytes: 16 * MiB)],
            volumes: [.init(name: "Old", kind: .simple, sizeBytes: 2 * MiB, disks: ["D1"]),
                      .init(name: "Keep", kind: .mirrored, sizeBytes: 2 * MiB, disks: ["D1", "D2"]),
                      .init(name: "New", kind: .simple, sizeBytes: 2 * MiB, disks: ["D2"])])])
        var disks = try written(spec)
        for (i, phase) in phases.enumerated() {
            if let phase { disks[i].interruptChange(adding: ["New"], removing: ["Old"], phase: phase) }
        }
        return disks
    }

    func volumes(_ r: ReadResult) -> [String] { (r.groups.first?.volumes.map(\.name.display) ?? []).sorted() }

    func testBeforeTheCommitPointTheChangeIsRolledBack() throws {
        let r = readImages(try Self.images([.beforeCommit, .beforeCommit]))
        XCTAssertEqual(r.errors, [], r.errorText)
        XCTAssertEqual(volumes(r), ["Keep", "Old"])
        XCTAssertEqual(r.groups.first?.committedSequence, Self.sequence)
        XCTAssertTrue(r.groups[0].notes.contains { $0.contains("rolled back") && $0.contains("before its commit point") },
                      "\(r.groups[0].notes)")
    }

    func testAfterTheCommitPointTheChangeIsRolledForward() throws {
        let r = readImages(try Self.images([.afterCommit, .afterCommit]))
        XCTAssertEqual(r.errors, [], r.errorText)
        XCTAssertEqual(volumes(r), ["Keep", "New"])
        XCTAssertEqual(r.groups.first?.committedSequence, Self.sequence + 1)
        XCTAssertTrue(r.groups[0].notes.contains { $0.contains("rolled forward") }, "\(r.groups[0].notes)")
    }

    /// Windows takes each step on every disk before the next: one disk past
    /// the commit point means the commit was reached, and a disk still
    /// before it holds the new records already.
    func testDisksThatStoppedAtDifferentStepsSettleTogether() throws {
        for phases: [ChangePhase?] in [[.afterCommit, .beforeCommit], [.beforeCommit, .afterCommit]] {
            let disks = try Self.images(phases)
            for order in [disks, disks.reversed()] {
                let r = readImages(order)
                XCTAssertEqual(r.errors, [], "\(phases): \(r.errorText)")
                XCTAssertEqual(volumes(r), ["Keep", "New"], "\(phases)")
                XCTAssertTrue(r.groups.first?.notes.contains { $0.contains("but") && $0.contains("is past it") } == true,
                              "\(phases): \(r.groups.first?.notes ?? [])")
            }
        }
    }

    /// A changed record: the new version carries the old one's object id
    /// (status 2 beside status 1). Each side alone is a valid configuration;
    /// read together, as a reader ignoring the statuses would, two records
    /// share one id and the disk is refused.
    func testAChangedRecordIsReadOnceFromTheRightSide() throws {
        let MiB = ImageSpec.MiB
        var resized = ImageSpec.Volume(name: "Data2", kind: .simple, sizeBytes: 3 * MiB, disks: ["D1"])
        resized.replaces = "Data"
        let spec = ImageSpec(groups: [.init(
            name: "Chg", sequence: Self.sequence, disks: [.init(name: "D1", sizeBytes: 16 * MiB)],
            volumes: [.init(name: "Data", kind: .simple, sizeBytes: 2 * MiB, disks: ["D1"]), resized])])
        let plan = try XCTUnwrap(try ImageWriter.plan(spec).first)
        XCTAssertEqual(plan.volume(named: "Data2")?.objectID, plan.volume(named: "Data")?.objectID)
        let both = try written(spec)
        XCTAssertTrue(readImages(both).errors.first?.description.contains("share object id") == true, readImages(both).errorText)
        for (phase, kept, size) in [(ChangePhase.beforeCommit, "Data", 2 * MiB), (.afterCommit, "Data2", 3 * MiB)] {
            var disk = both[0]
            disk.interruptChange(adding: ["Data2"], removing: ["Data"], phase: phase)
            let r = readImages([disk])
            XCTAssertEqual(r.errors, [], "\(phase): \(r.errorText)")
            let v = try XCTUnwrap(r.groups.first?.volumes.first, "\(phase)")
            XCTAssertEqual(r.groups.first?.volumes.count, 1)
            XCTAssertEqual(v.name.display, kept)
            XCTAssertEqual(v.size * 512, size)
        }
    }

    func testUndocumentedUpdateStatusIsRefusedWithTheReason() throws {
        var disks = try Self.images([nil, nil])
        disks[0].patch(at: disks[0].layout.database.vmdb + 0x10, bytes: be(6, 2))
        let r = readImages([disks[0]])
        assertOneError(r, kind: .unsupported, device: "D1", mentions: ["update status 6", "import the disk group in Windows"])
    }

    func testUnknownRecordStatusIsRefused() throws {
        var disks = try Self.images([nil, nil])
        let slot = try XCTUnwrap(disks[0].layout.database.slots(of: "Keep").first)
        disks[0].patch(at: slot.offset + 0x10, bytes: be(7, 2))
        assertOneError(readImages([disks[0]]), kind: .invalid, device: "D1", mentions: ["record status", "status 7"])
    }

    /// With no change in flight, a record marked not yet active is left out
    /// (and said so) rather than read beside the committed ones.
    func testStrayNotYetActiveRecordsAreLeftOutWhenNothingIsInFlight() throws {
        var disks = try Self.images([nil, nil])
        for i in disks.indices {
            disks[i].interruptChange(adding: ["New"], removing: [], phase: .beforeCommit)
            disks[i].patch(at: disks[i].layout.database.vmdb + 0x10, bytes: be(1, 2))        // status consistent
            disks[i].patch(at: disks[i].layout.database.vmdb + 0x7D, bytes: be(Self.sequence, 8))  // pending = committed
        }
        let r = readImages(disks)
        XCTAssertEqual(r.errors, [], r.errorText)
        XCTAssertEqual(volumes(r), ["Keep", "Old"])
        XCTAssertTrue(r.groups[0].notes.contains { $0.contains("not yet active") }, "\(r.groups[0].notes)")
    }
}

/// What ldmtool (libldm) makes of the same disks, beside ours: it ignores
/// the update status and every record's status and counts all records
/// against the committed counts, so it refuses both disks ("Expected 3
/// component VBLKs, but found 4") and finds no group. Ours settles the
/// change as Windows does (docs/FORMAT.md, "A change cut short").
final class InterruptedChangeLdmtoolTests: XCTestCase {
    func testLdmtoolFindsNoGroupWhereWeRollBack() throws {
        let disks = try InterruptedChangeTests.images([.beforeCommit, .beforeCommit])
        let tool = try ldmtool(on: disks)
        XCTAssertEqual(try tool.json("scan") as? [String], [])
        XCTAssertEqual(readImages(disks).groups.first?.volumes.map(\.name.display).sorted(), ["Keep", "Old"])
    }
}

/// The KLOG the writer puts where the TOCBLOCK's log region says, as the
/// 2003 images hold it (two pages, one commit entry), and the commit of a
/// change stopped past its commit point logged there (step 3 before 4).
final class KernelUpdateLogTests: XCTestCase {
    func entry(_ image: DiskImage) -> (status: UInt8, committed: UInt64, pending: UInt64) {
        let b = image.read(at: image.layout.database.klog, count: 1024, includeContent: false)
        let u64 = { (o: Int) in b[o..<o + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        XCTAssertEqual(Array(b[0..<4]), Array("KLOG".utf8))
        XCTAssertEqual(Array(b[512..<516]), Array("KLOG".utf8), "second page")
        return (b[0x18], u64(0x19), u64(0x21))
    }

    func testTheKLOGLiesInTheLogRegionWithTheLastCommit() throws {
        let disks = try InterruptedChangeTests.images([nil, nil])
        let m = try DiskMetadata.read(from: disks[0])
        XCTAssertEqual(disks[0].layout.database.klog,
                       (m.privateHeader.configStart + m.toc.logStart) * UInt64(m.sectorSize), "where the TOCBLOCK's log region starts")
        let e = entry(disks[0])
        XCTAssertEqual(e.status, 3)
        XCTAssertEqual(e.pending, InterruptedChangeTests.sequence)
        XCTAssertEqual(e.committed, InterruptedChangeTests.sequence - 1)
    }

    func testAChangePastItsCommitPointIsLogged() throws {
        let after = try InterruptedChangeTests.images([.afterCommit, nil])[0]
        XCTAssertEqual(entry(after).pending, InterruptedChangeTests.sequence + 1)
        let before = try InterruptedChangeTests.images([.beforeCommit, nil])[0]
        XCTAssertEqual(entry(before).pending, InterruptedChangeTests.sequence)
    }
}
