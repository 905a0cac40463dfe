import DeviceMapper
import DMTable
@testable import Hotplug
import LDM
import LDMWriter
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class HotplugTests: XCTestCase {
    func sampleRecords() throws -> (records: [RecordedDisk], fresh: [DiskMetadata]) {
        var records: [RecordedDisk] = []
        var fresh: [DiskMetadata] = []
        for (i, image) in try ImageWriter.write(SampleSpecs.standard()).enumerated() {
            let source = RecordingSectorSource(NamedImage(image: image, name: "/dev/test\(i)"))
            let m = try DiskMetadata.read(from: source)
            fresh.append(m)
            records.append(RecordedDisk(number: DeviceNumber(major: 7, minor: UInt32(i)), device: "/dev/test\(i)",
                                      sectorSize: source.sectorSize, byteCount: source.byteCount,
                                      groupGUID: m.privateHeader.groupGUID, diskGUID: m.privateHeader.diskGUID,
                                      bytesRead: source.bytesRead, partitions: Hotplug.partitionRoles(m),
                                      extents: source.extents))
            // DiskMetadata.bytesRead leaves out the partition table; the recording has every byte.
            XCTAssertGreaterThanOrEqual(source.bytesRead, m.bytesRead)
        }
        return (records, fresh)
    }

    /// Groups put together from stored records equal groups from the disks.
    func testRecordsRebuildTheSameGroups() throws {
        let (records, fresh) = try sampleRecords()
        let decoded = try records.map { r -> DiskMetadata in
            let back = try XCTUnwrap(RecordedDisk.decode(r.encoded()))
            XCTAssertEqual(back.number, r.number)
            XCTAssertEqual(back.partitions, r.partitions)
            return try back.metadata()
        }
        let a = GroupAssembler.assemble(fresh), b = GroupAssembler.assemble(decoded)
        XCTAssertEqual(a.groups, b.groups)
        XCTAssertEqual(a.groups.count, 2)
        XCTAssertTrue(a.groups.allSatisfy { $0.volumes.allSatisfy { $0.state == .complete } })
        // A subset of records gives the subset's states, as the disks would.
        let partial = GroupAssembler.assemble(Array(decoded.dropFirst()))
        XCTAssertEqual(partial.groups, GroupAssembler.assemble(Array(fresh.dropFirst())).groups)
    }

    func testDamagedRecordsAreRefused() throws {
        let bytes = try sampleRecords().records[0].encoded()
        for cut in stride(from: 0, to: bytes.count, by: 97) {
            XCTAssertNil(RecordedDisk.decode(Array(bytes[0..<cut])), "cut at \(cut)")
        }
        XCTAssertNil(RecordedDisk.decode(bytes + [0]))
        var wrongPath = String(decoding: bytes, as: UTF8.self)
        wrongPath = wrongPath.replacingFirst("device /dev/test0", with: "device /dev/../etc")
        XCTAssertNil(RecordedDisk.decode(Array(wrongPath.utf8)))
    }

    func testReplayServesOnlyRecordedBytes() throws {
        let r = try sampleRecords().records[0]
        let replay = ReplaySectorSource(name: r.device, sectorSize: r.sectorSize, byteCount: r.byteCount, extents: r.extents)
        XCTAssertEqual(try replay.read(at: 0, count: 512), r.extents.first { $0.offset == 0 }?.bytes)
        XCTAssertThrowsError(try replay.read(at: r.byteCount / 2, count: 512))
    }

    func testPartitionRolesOfTheSampleDisk() throws {
        let (records, fresh) = try sampleRecords()
        let group = try XCTUnwrap(GroupAssembler.assemble(fresh).groups.first { $0.name.display == SampleSpecs.mbrGroupName })
        for (r, m) in zip(records, fresh) where m.privateHeader.groupGUID == group.guid {
            let disk = try XCTUnwrap(group.disks.first { $0.guid == m.privateHeader.diskGUID })
            let expected = group.volumes.flatMap { v in
                v.partitions.filter { $0.diskID == disk.id }.map { ((disk.location!.dataStart + $0.start), $0.size, v.type.rawValue) }
            }
            let roles = r.partitions.filter { $0.role != "container" }
            XCTAssertEqual(roles.map(\.start), expected.map(\.0))
            XCTAssertEqual(roles.map(\.size), expected.map(\.1))
            XCTAssertEqual(roles.map(\.role), expected.map(\.2))
            XCTAssertTrue(r.partitions.contains { $0.role == "container" })
        }
    }

    func testUdevValuesAreSafeAndBounded() {
        let hostile: [UInt8] = Array("a=b \"c\" $d %e\n'f`\\".utf8) + [0, 0xFF, 0xC3, 0xA9]
        let v = UdevProperties.escape(hostile)
        XCTAssertTrue(v.utf8.allSatisfy { UdevProperties.isSafe($0) || $0 == UInt8(ascii: "_") }, v)
        XCTAssertEqual(UdevProperties.escape(Array("E:".utf8)), "E:")
        XCTAssertEqual(UdevProperties.escape(Array("a b".utf8)), "a_x20b")
        let long1 = UdevProperties.escape([UInt8](repeating: UInt8(ascii: "\n"), count: 500))
        let long2 = UdevProperties.escape([UInt8](repeating: UInt8(ascii: "\n"), count: 501))
        XCTAssertLessThanOrEqual(long1.utf8.count, UdevProperties.maxValueLength)
        XCTAssertNotEqual(long1, long2)
        var p = UdevProperties()
        p.set("LDM_GROUP", LDMName(hostile))
        XCTAssertEqual(p.text.filter { $0 == "\n" }.count, 1, "one line per key")
        XCTAssertEqual(p.text.filter { $0 == "=" }.count, 1)
        XCTAssertEqual(linkComponent(".."), "_x2e.")
        XCTAssertEqual(linkComponent(""), "_")
        XCTAssertEqual(linkComponent("Vol.1"), "Vol.1")
    }

    func testVolumeAndHelperUUIDs() throws {
        let fresh = try sampleRecords().fresh
        for g in GroupAssembler.assemble(fresh).groups {
            for v in g.volumes {
                XCTAssertTrue(DeviceNames.isVolumeUUID(DeviceNames.volumeUUID(g, v)))
                for p in v.partitions {
                    XCTAssertFalse(DeviceNames.isVolumeUUID(DeviceNames.partitionUUID(g, v, p)))
                }
            }
        }
        XCTAssertTrue(DeviceNames.isVolumeUUID("LDM-03c0c4fc-8b6f-402b-9431-4be2e5823b1c-clone2-v17"))
        XCTAssertFalse(DeviceNames.isVolumeUUID("LDM-../../etc/passwd"))
        XCTAssertFalse(DeviceNames.isVolumeUUID("LDM-03c0c4fc-8b6f-402b-9431-4be2e5823b1c-v17/x"))
        XCTAssertTrue(DeviceNames.sameVolume("LDM-03c0c4fc-8b6f-402b-9431-4be2e5823b1c-v17",
                                             "LDM-03c0c4fc-8b6f-402b-9431-4be2e5823b1c-clone1-v17"))
        XCTAssertNil(RunState(root: "/tmp/x").volumePath("LDM-a/../b"))
    }

    func testVolumeInfoRoundTrip() {
        let info = VolumeInfo(uuid: "LDM-x", dmName: "ldm_vol_G_V", groupGUID: GUID("03c0c4fc-8b6f-402b-9431-4be2e5823b1c")!,
                              group: "G", volume: "V", type: "raid5", driveHint: "E:", state: .queued,
                              degraded: true, lateMemberNoted: false)
        XCTAssertEqual(VolumeInfo.decode(info.encoded()), info)
        var lost = info
        lost.lostDisks = ["R2 1b77da20-c717-11d0-a5be-00a0c91db73c /dev/loop2", "R3 1b77da20-c717-11d0-a5be-00a0c91db73d /dev/sdc"]
        XCTAssertEqual(VolumeInfo.decode(lost.encoded()), lost)
    }
}

extension String {
    func replacingFirst(_ a: String, with b: String) -> String {
        guard let r = range(of: a) else { return self }
        return replacingCharacters(in: r, with: b)
    }
}

final class LaunchTests: XCTestCase {
    /// A lock held elsewhere is waited for only so long: a udev worker
    /// must give up (and say why) before udev kills it.
    func testStateLockWaitIsBounded() throws {
        let root = NSTemporaryDirectory() + "ldmctl-lock-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let state = RunState(root: root)
        state.prepare()
        let holder = open(state.lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        XCTAssertGreaterThanOrEqual(holder, 0)
        XCTAssertEqual(flock(holder, LOCK_EX), 0)
        let start = monotonicSeconds()
        XCTAssertThrowsError(try state.locked(timeout: 0.3) { XCTFail("ran without the lock") }) { error in
            XCTAssertTrue("\(error)".contains("gave up waiting for \(state.lockPath)"), "\(error)")
        }
        let waited = monotonicSeconds() - start
        XCTAssertGreaterThanOrEqual(waited, 0.3)
        XCTAssertLessThan(waited, 5)
        close(holder)   // released: taken at once
        XCTAssertEqual(try state.locked(timeout: 0.3) { 7 }, 7)
    }

    /// Transient units must be able to start while the boot unit runs
    /// (before sysinit.target): no default dependencies, stopped at shutdown.
    func testTransientUnitsRunInEarlyBoot() {
        let service = Launcher.serviceArguments("/usr/bin/systemd-run", unit: "u", description: "d", command: ["/x", "a"])
        let timer = Launcher.timerArguments("/usr/bin/systemd-run", unit: "t", seconds: 9, description: "d", command: ["/x"])
        for p in ["DefaultDependencies=no", "Conflicts=shutdown.target", "Before=shutdown.target"] {
            XCTAssertTrue(service.contains("--property=\(p)"), p)
            XCTAssertTrue(timer.contains("--timer-property=\(p)"), p)
            XCTAssertTrue(timer.contains("--property=\(p)"), p)
        }
        XCTAssertEqual(Array(service.suffix(2)), ["/x", "a"])
        XCTAssertTrue(timer.contains("--on-active=9"))
        XCTAssertTrue(service.contains("--no-block") && timer.contains("--no-block"))
    }
}
