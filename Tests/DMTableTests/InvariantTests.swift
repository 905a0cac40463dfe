import Foundation
import XCTest
import LDM
import LDMWriter
import DMTable
import LDMTestSupport

/// `TableInvariants` on written images (they must hold), on hand-made bad
/// stacks (each rule must fire), and on seeded random corruptions of written
/// metadata (a small in-test fuzzer that runs without libFuzzer).
final class InvariantTests: XCTestCase {
    /// Images are named after their disk (`Disk1` in both sample groups);
    /// tables name the device, so give each a path of its own.
    func inventory(_ images: [DiskImage]) -> VolumePipeline.Result {
        VolumePipeline.checking.run(images.map { NamedImage(image: $0, name: "/dev/\($0.groupName)/\($0.name)") })
    }

    func sampleImages(_ sectorSize: Int = 512) throws -> [DiskImage] {
        try ImageWriter.write(SampleSpecs.standard(sectorSize: sectorSize))
    }

    // MARK: they hold

    /// With the kernel's view the fuzzer gives (disks as block devices,
    /// their LDM entries as partitions), tables go through partitions and
    /// the invariants, reading them back through that view, still hold; a
    /// member moved past its partition's end is caught.
    func testKernelViewTablesSatisfyEveryInvariant() throws {
        for ss in [512, 4096] {
            let disks = try sampleImages(ss).map { NamedImage(image: $0, name: "/dev/\($0.groupName)/\($0.name)") }
            let view = FuzzDisks.kernelView(disks)
            let inv = VolumePipeline.checking.run(disks, devices: view)
            XCTAssertEqual(inv.errors, [])
            XCTAssertEqual(inv.stacks.count, 7)
            XCTAssertEqual(inv.violations(devices: view), [], "\(ss)")
            let numbers = inv.stacks.flatMap(\.devices).flatMap(\.targets).flatMap(\.members).compactMap(\.number)
            XCTAssertFalse(numbers.isEmpty)
            XCTAssertTrue(numbers.allSatisfy { $0.minor % 16 != 0 }, "every extent lies in the LDM data partition: \(numbers)")
            // Past the end of its partition.
            var bad = inv.stacks
            let i = try XCTUnwrap(bad.firstIndex { $0.volumeName == "Simple" })
            let t = bad[i].devices[0].targets[0]
            let partition = try XCTUnwrap(view.values.flatMap(\.partitions).first { $0.number == t.members.first?.number })
            bad[i].devices[0].targets[0].arguments[1] = .word("\(partition.size - t.length + 1)")
            let violations = TableInvariants.check(groups: inv.groups, stacks: bad, devices: view)
            XCTAssertTrue(violations.contains { $0.contains("passes the end of partition") }, "\(violations)")
        }
    }

    func testWrittenSamplesSatisfyEveryInvariant() throws {
        for ss in [512, 4096] {
            let inv = inventory(try sampleImages(ss))
            XCTAssertEqual(inv.errors, [])
            XCTAssertEqual(inv.stacks.count, 7)
            XCTAssertEqual(inv.violations, [], "\(ss)")
        }
    }

    func testEveryMissingDiskSubsetSatisfiesEveryInvariant() throws {
        let images = try sampleImages().filter { $0.groupName == SampleSpecs.mbrGroupName }
        for mask in 0..<(1 << images.count) {
            let present = images.indices.filter { mask & (1 << $0) != 0 }.map { images[$0] }
            let inv = inventory(present)
            XCTAssertEqual(inv.violations, [], "disks \(present.map(\.name))")
            let reversed = inventory(present.reversed())
            XCTAssertTrue(inv.groups == reversed.groups && inv.stacks == reversed.stacks,
                          "order of disks matters: \(present.map(\.name))")
        }
    }

    // MARK: each rule fires

    func sample() throws -> (DiskGroup, [VolumeStack]) {
        let inv = inventory(try sampleImages().filter { $0.groupName == SampleSpecs.mbrGroupName })
        XCTAssertEqual(inv.violations, [])
        return (inv.groups[0], inv.stacks)
    }

    func violations(_ change: (inout DiskGroup, inout [VolumeStack]) throws -> Void) throws -> [String] {
        var (g, stacks) = try sample()
        try change(&g, &stacks)
        return TableInvariants.check(groups: [g], stacks: stacks)
    }

    func index(_ stacks: [VolumeStack], _ volume: String) throws -> Int {
        try XCTUnwrap(stacks.firstIndex { $0.volumeName == volume })
    }

    func assertViolation(_ mention: String, file: StaticString = #filePath, line: UInt = #line,
                         _ change: (inout DiskGroup, inout [VolumeStack]) throws -> Void) throws {
        let v = try violations(change)
        XCTAssertTrue(v.contains { $0.contains(mention) }, "no violation mentioning \"\(mention)\" in \(v)", file: file, line: line)
    }

    func testLinearTargetOutsideTheDataAreaIsCaught() throws {
        try assertViolation("outside the disk's data area") { g, s in
            let i = try index(s, "Simple")
            let t = s[i].devices[0].targets[0]
            let path = t.params.split(separator: " ")[0]
            let loc = try XCTUnwrap(g.disks.first { $0.location?.device == DevicePath(String(path)) }?.location)
            s[i].devices[0].targets[0].params = "\(path) \(loc.dataStart + loc.dataSize - 1)"
        }
        try assertViolation("outside the disk's data area") { _, s in
            let i = try index(s, "Simple")
            let path = s[i].devices[0].targets[0].params.split(separator: " ")[0]
            s[i].devices[0].targets[0].params = "\(path) 0"   // the partition table and PRIVHEAD
        }
    }

    func testTargetOutsideItsPartitionsIsCaught() throws {
        try assertViolation("outside the volume's partitions") { g, s in
            let i = try index(s, "Simple")
            let path = s[i].devices[0].targets[0].params.split(separator: " ")[0]
            let loc = try XCTUnwrap(g.disks.first { $0.location?.device == DevicePath(String(path)) }?.location)
            // Inside the data area, but in the free space at its end.
            s[i].devices[0].targets[0].params = "\(path) \(loc.dataStart + loc.dataSize - s[i].devices[0].targets[0].length)"
        }
    }

    func testSharedSectorsAreCaught() throws {
        try assertViolation("share sector") { g, s in
            // Map Simple's volume onto Striped's first column on Disk1.
            let simple = try index(s, "Simple"), striped = try index(s, "Striped")
            let f = s[striped].devices[0].targets[0].params.split(separator: " ")
            s[simple].devices[0].targets[0].params = "\(f[2]) \(f[3])"
            // and pretend the Simple partition is there, so only the overlap rule fires
            let vi = try XCTUnwrap(g.volumes.firstIndex { $0.name.display == "Simple" })
            let col = try XCTUnwrap(g.volumes.first { $0.name.display == "Striped" }?.components[0].partitions[0])
            g.volumes[vi].components[0].partitions[0].start = col.start
        }
    }

    func testSizesThatDoNotAddUpAreCaught() throws {
        try assertViolation("device is") { _, s in
            let i = try index(s, "Spanned")
            s[i].devices[0].targets.removeLast()
        }
        try assertViolation("target") { _, s in
            let i = try index(s, "Spanned")
            s[i].devices[0].targets[1].start += 1
        }
        try assertViolation("holds") { g, _ in
            let vi = try XCTUnwrap(g.volumes.firstIndex { $0.name.display == "Spanned" })
            g.volumes[vi].size += 1
        }
        try assertViolation("needs") { _, s in
            let i = try index(s, "Mirror")
            s[i].devices[0].targets[0].length -= 8
            // keep the helper's own targets consistent
        }
    }

    func testUnsafeAndDuplicateNamesAreCaught() throws {
        try assertViolation("unsafe device name") { _, s in s[0].devices[0].name = "ldm vol\n" }
        try assertViolation("used twice") { _, s in
            let i = try index(s, "Raid5")
            s[i].devices[1].name = s[i].devices[0].name    // two helpers of one volume
        }
        try assertViolation("bad device UUID") { _, s in
            let i = try index(s, "Raid5")
            s[i].devices[0].uuid += "$(reboot)"
        }
        try assertViolation("bad device UUID") { _, s in
            let i = try index(s, "Raid5")
            s[i].devices[0].uuid = "LDM-other"
        }
        try assertViolation("unsafe device name") { _, s in s[0].devices[0].name = String(repeating: "a", count: 128) }
    }

    func testRaidMembersAreChecked() throws {
        try assertViolation("members missing") { _, s in
            let i = try index(s, "Raid5")
            var f = s[i].top.targets[0].params.split(separator: " ").map(String.init)
            f[f.count - 1] = "-"; f[f.count - 3] = "-"
            s[i].devices[s[i].devices.count - 1].targets[0].params = f.joined(separator: " ")
        }
    }

    // MARK: random corruption (seeded)

    /// Corrupts written metadata at random (bytes, integers at field-like
    /// offsets, whole sectors), reads and plans the result: never a crash,
    /// every invariant holds, a second run and the reverse disk order give
    /// the same result. LDM_PROPERTY_SEED / LDM_PROPERTY_COUNT as in LDMTests.
    func testRandomCorruptionKeepsEveryInvariant() throws {
        let env = ProcessInfo.processInfo.environment
        let base = env["LDM_PROPERTY_SEED"].flatMap { UInt64($0) } ?? 0xC0_22_07
        let count = env["LDM_PROPERTY_COUNT"].flatMap { UInt64($0) } ?? 400
        let pristine = try sampleImages().filter { $0.groupName == SampleSpecs.mbrGroupName }
        var accepted = 0
        for i in 0..<count {
            let seed = base &+ i
            var rng = Mix(seed)
            var images = pristine
            for _ in 0..<(1 + rng.next() % 6) {
                let d = Int(rng.next() % UInt64(images.count))
                let db = images[d].layout.database
                let targets = [db.primaryPrivhead, db.vmdb] + db.tocblocks + db.slots.map(\.offset)
                let at = targets[Int(rng.next() % UInt64(targets.count))] + rng.next() % 512
                let bytes: [UInt8]
                switch rng.next() % 4 {
                case 0: bytes = [UInt8(truncatingIfNeeded: rng.next())]
                case 1: bytes = [0xFF, 0xFF, 0xFF, 0xFF]
                case 2: bytes = (0..<8).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                default: bytes = [0, 0, 0, UInt8(truncatingIfNeeded: rng.next() % 4)]
                }
                // The same corruption on every disk's copy half the time, so
                // the group's database itself changes.
                if rng.next() % 2 == 0, at >= db.vmdb {
                    let offset = at - db.vmdb
                    for j in images.indices { images[j].patch(at: images[j].layout.database.vmdb + offset, bytes: bytes) }
                } else {
                    images[d].patch(at: at, bytes: bytes)
                }
            }
            let inv = inventory(images)
            if !inv.stacks.isEmpty { accepted += 1 }
            let v = inv.violations
            guard v.isEmpty else {
                XCTFail("seed \(seed) (rerun: LDM_PROPERTY_SEED=\(seed) LDM_PROPERTY_COUNT=1): \(v)")
                return
            }
            XCTAssertEqual(inv, inventory(images), "seed \(seed): second run differs")
            let reversed = inventory(images.reversed())
            XCTAssertEqual(inv.groups, reversed.groups, "seed \(seed): disk order matters")
            XCTAssertEqual(inv.stacks, reversed.stacks, "seed \(seed): disk order matters")
        }
        XCTAssertGreaterThan(accepted, 0, "no corrupted input planned at all: the test would prove nothing")
    }
}

/// SplitMix64.
struct Mix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}


