import XCTest
import LDM
import LDMWriter

/// Disks that claim a group and carry a configuration the group's other
/// disks do not agree with (docs/FORMAT.md, "Choosing the configuration").
final class HostileGroupTests: XCTestCase {
    static let groupGUID = "11111111-2222-4333-8444-555555555555"
    static let disk1 = "d1d1d1d1-0000-4000-8000-000000000001"
    static let disk2 = "d2d2d2d2-0000-4000-8000-000000000002"
    static let stranger = "5a5a5a5a-0000-4000-8000-00000000000f"

    /// Group "Home": two MBR disks with a volume each.
    func spec(sequence: UInt64 = 0x400, name: String = "Home", extraDisk: Bool = false,
              volumes: [ImageSpec.Volume]? = nil) -> ImageSpec {
        var disks = [ImageSpec.Disk(name: "Disk1", guid: Self.disk1, sizeBytes: 16 * ImageSpec.MiB, recordRevision: 4),
                     ImageSpec.Disk(name: "Disk2", guid: Self.disk2, sizeBytes: 16 * ImageSpec.MiB, recordRevision: 4)]
        if extraDisk {
            disks.append(ImageSpec.Disk(name: "Disk3", guid: Self.stranger, sizeBytes: 16 * ImageSpec.MiB, recordRevision: 4))
        }
        let real: [ImageSpec.Volume] = [
            .init(name: "Photos", kind: .simple, sizeBytes: 4 * ImageSpec.MiB, disks: ["Disk1"]),
            .init(name: "Music", kind: .simple, sizeBytes: 4 * ImageSpec.MiB, disks: ["Disk2"]),
        ]
        return ImageSpec(groups: [.init(name: name, guid: Self.groupGUID, recordRevision: 4, privheadMinor: 12,
                                        sequence: sequence, disks: disks, volumes: volumes ?? real)])
    }

    /// A volume over the whole data area of Disk1.
    let takeover = ImageSpec.Volume(name: "Takeover", kind: .simple, sizeBytes: 14 * ImageSpec.MiB, disks: ["Disk1"])

    func metadata(_ image: DiskImage, as device: String) throws -> DiskMetadata {
        try DiskMetadata.read(from: NamedImage(image: image, name: device))
    }

    func real() throws -> [DiskMetadata] {
        let images = try ImageWriter.write(spec())
        return try [metadata(images[0], as: "/dev/sda"), metadata(images[1], as: "/dev/sdb")]
    }

    /// Every order of the disks gives the same groups and the same errors.
    func assembledInEveryOrder(_ members: [DiskMetadata], file: StaticString = #filePath, line: UInt = #line) -> GroupAssembler.Result {
        let first = GroupAssembler.assemble(members)
        for order in permutations(members) {
            let other = GroupAssembler.assemble(order)
            XCTAssertEqual(other.groups, first.groups, file: file, line: line)
            XCTAssertEqual(other.errors.map(\.description).sorted(), first.errors.map(\.description).sorted(), file: file, line: line)
        }
        return first
    }

    func assertRealGroup(_ r: GroupAssembler.Result, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.groups.count, 1, "\(r.errors)", file: file, line: line)
        XCTAssertEqual(r.groups.first?.name.display, "Home", file: file, line: line)
        XCTAssertEqual(r.groups.first?.volumes.map(\.name.display).sorted(), ["Music", "Photos"], file: file, line: line)
        XCTAssertEqual(r.groups.first?.volumes.map(\.state), [.complete, .complete], file: file, line: line)
    }

    func assertOnlyError(_ r: GroupAssembler.Result, device: String, mentions: String,
                         file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.errors.count, 1, "\(r.errors)", file: file, line: line)
        XCTAssertEqual(r.errors.first?.device, device, file: file, line: line)
        XCTAssertTrue(r.errors.first?.description.contains(mentions) == true, "\(r.errors)", file: file, line: line)
    }

    // MARK: class 4: a stranger's disk

    /// The stranger's disk claims the group with a newer configuration that
    /// lists the group's disks but not itself, and a volume over Disk1.
    func testDiskNotListedInItsOwnConfigurationIsForeign() throws {
        var forged = try ImageWriter.write(spec(sequence: 0x999, volumes: [takeover]))[0]
        for p in forged.layout.database.privheads { forged.patch(at: p + 0x30, bytes: Array(Self.stranger.utf8)) }
        forged.sealChecksums()
        let members = try real() + [metadata(forged, as: "/dev/sdz")]
        let r = assembledInEveryOrder(members)
        assertRealGroup(r)
        assertOnlyError(r, device: "/dev/sdz", mentions: "not listed in the configuration it carries")
        XCTAssertEqual(r.groups.first?.databaseSource.display, "/dev/sda")
    }

    /// The stranger lists itself too, with a newer sequence, and reshapes
    /// Disk1: the present Disk1 contradicts it, so it is not used.
    func testConfigurationContradictedByThePresentDisksIsNotUsed() throws {
        let forged = try ImageWriter.write(spec(sequence: 0x999, extraDisk: true, volumes: [takeover]))[2]
        let members = try real() + [metadata(forged, as: "/dev/sdz")]
        let r = assembledInEveryOrder(members)
        assertRealGroup(r)
        assertOnlyError(r, device: "/dev/sdz", mentions: "other partitions on present disk \(Self.disk1) (/dev/sda)")
        XCTAssertTrue(r.groups.first?.notes.contains { $0.contains("/dev/sdz") && $0.contains("not in the group's configuration") } == true)
    }

    /// One disk against one: neither configuration is believed, nothing
    /// is built (so hotplug activates nothing), and the error names both.
    func testOneDiskAgainstAnotherBuildsNothing() throws {
        let forged = try ImageWriter.write(spec(sequence: 0x999, extraDisk: true, volumes: [takeover]))[2]
        let members = try [real()[0], metadata(forged, as: "/dev/sdz")]
        let r = assembledInEveryOrder(members)
        XCTAssertEqual(r.groups, [])
        XCTAssertEqual(r.errors.count, 1)
        let text = r.errors.first?.description ?? ""
        XCTAssertTrue(text.contains("/dev/sda") && text.contains("/dev/sdz") && text.contains("disagree"), text)
    }

    /// A disk that was behind (older copy) but is listed and untouched by
    /// the newer copy is a normal member: the newer copy wins.
    func testNewerCopyHeldByTheMajorityStillWins() throws {
        let newer = try ImageWriter.write(spec(sequence: 0x401, volumes: [
            .init(name: "Photos", kind: .simple, sizeBytes: 4 * ImageSpec.MiB, disks: ["Disk1"]),
            .init(name: "Music", kind: .simple, sizeBytes: 4 * ImageSpec.MiB, disks: ["Disk2"]),
            .init(name: "More", kind: .simple, sizeBytes: 4 * ImageSpec.MiB, disks: ["Disk1"]),
        ]))
        let members = try [metadata(newer[0], as: "/dev/sda"), real()[1]]
        let r = assembledInEveryOrder(members)
        XCTAssertEqual(r.errors, [])
        XCTAssertEqual(r.groups.first?.volumes.map(\.name.display).sorted(), ["More", "Music", "Photos"])
        XCTAssertEqual(r.groups.first?.committedSequence, 0x401)
        XCTAssertTrue(r.groups.first?.notes.contains { $0.contains("/dev/sdb holds an older database") } == true)
    }

    // MARK: class 5: another group's records under this group's headers

    func testDiskGroupRecordMustMatchTheHeaders() throws {
        // Group "Away" written with Home's GUID and disk GUIDs, then given
        // Home's name in every PRIVHEAD: the records still say "Away".
        var renamed = try ImageWriter.write(spec(sequence: 0x999, name: "Away", volumes: [takeover]))[1]
        var name = Array("Home".utf8)
        name += [UInt8](repeating: 0, count: 32 - name.count)
        for p in renamed.layout.database.privheads { renamed.patch(at: p + 0xF0, bytes: name) }
        renamed.sealChecksums()
        let forged = try metadata(renamed, as: "/dev/sdz")
        XCTAssertEqual(forged.privateHeader.groupName.display, "Home")
        var members = try real()
        members[1] = forged
        let r = assembledInEveryOrder(members)
        XCTAssertEqual(r.groups.first?.name.display, "Home")
        XCTAssertEqual(r.groups.first?.volumes.map(\.name.display), ["Photos", "Music"])
        XCTAssertEqual(r.groups.first?.volumes.map(\.state), [.complete, .incomplete])
        assertOnlyError(r, device: "/dev/sdz", mentions: "names group Away")

        // And a disk-group record with another GUID.
        var other = try real()[1]
        for i in other.records.indices {
            if case .diskGroup(var g) = other.records[i] {
                g.guid = GUID("99999999-2222-4333-8444-555555555555")
                other.records[i] = .diskGroup(g)
            }
        }
        let r2 = assembledInEveryOrder([try real()[0], other])
        XCTAssertEqual(r2.errors.count, 1)
        XCTAssertTrue(r2.errors.first?.description.contains("99999999-2222-4333-8444-555555555555") == true, "\(r2.errors)")
    }

    // MARK: class 6: same sequence, different contents

    func testSameSequenceDifferentContentIsDeterministicAndReported() throws {
        // The copies differ in a drive letter only: both are believable.
        let hinted = try ImageWriter.write(spec(volumes: [
            .init(name: "Photos", kind: .simple, sizeBytes: 4 * ImageSpec.MiB, disks: ["Disk1"], driveHint: "P:"),
            .init(name: "Music", kind: .simple, sizeBytes: 4 * ImageSpec.MiB, disks: ["Disk2"]),
        ]))
        let members = try [real()[0], metadata(hinted[1], as: "/dev/sdb")]
        let r = assembledInEveryOrder(members)
        XCTAssertEqual(r.groups.count, 1)
        XCTAssertEqual(r.errors.count, 1, "\(r.errors)")
        let text = r.errors.first?.description ?? ""
        XCTAssertTrue(text.contains("same committed sequence") && text.contains("/dev/sda") && text.contains("/dev/sdb"), text)

        // Copies that each reshape the other's disk: neither is believed.
        let reshaped = try ImageWriter.write(spec(volumes: [
            .init(name: "Photos", kind: .simple, sizeBytes: 4 * ImageSpec.MiB, disks: ["Disk1"]),
            .init(name: "Music", kind: .simple, sizeBytes: 8 * ImageSpec.MiB, disks: ["Disk2"]),
            .init(name: "More", kind: .simple, sizeBytes: 4 * ImageSpec.MiB, disks: ["Disk1"]),
        ]))
        let both = try [real()[0], metadata(reshaped[1], as: "/dev/sdb")]
        let r2 = assembledInEveryOrder(both)
        XCTAssertEqual(r2.groups, [])
        XCTAssertTrue(r2.errors.first?.description.contains("disagree") == true, "\(r2.errors)")
    }
}

func permutations<T>(_ items: [T]) -> [[T]] {
    guard items.count > 1 else { return [items] }
    return items.indices.flatMap { i -> [[T]] in
        var rest = items
        let head = rest.remove(at: i)
        return permutations(rest).map { [head] + $0 }
    }
}
