import XCTest
import LDM
import LDMWriter
import DMTable

final class DeviceNameTests: XCTestCase {
    func group(_ name: String, clone: Int = 0, volumes: [Volume] = []) -> DiskGroup {
        DiskGroup(guid: GUID("03c0c4fc-8b6f-402b-9431-4be2e5823b1c")!, name: LDMName(name), cloneIndex: clone,
                  disks: [], volumes: volumes, committedSequence: 1, databaseSource: DevicePath("x"), notes: [], sectorSize: 512)
    }

    func volume(_ raw: [UInt8], id: UInt64 = 7) -> Volume {
        Volume(id: id, name: LDMName(raw), guid: GUID("6e30daae-8e42-40fb-9af0-807416c3fede"), type: .simple, size: 8,
               chunkSize: 0, driveHint: nil, partitionType: 7, components: [], state: .complete)
    }

    func testLdmtoolCompatibleNames() {
        let g = group("Red-nzv8x6obywgDg0")
        let v = volume(Array("Volume1".utf8))
        XCTAssertEqual(DeviceNames.volumeName(g, v), "ldm_vol_Red-nzv8x6obywgDg0_Volume1")
        XCTAssertEqual(DeviceNames.volumeUUID(g, v), "LDM-03c0c4fc-8b6f-402b-9431-4be2e5823b1c-6e30daae-8e42-40fb-9af0-807416c3fede")
    }

    /// What the planner builds, the parser reads back; helpers and clones
    /// are told apart; nothing outside the grammar parses.
    func testUUIDGrammarRoundTrips() throws {
        let guidVolume = volume(Array("V".utf8))
        var noGUID = volume(Array("W".utf8), id: 42)
        noGUID.guid = nil
        for clone in [0, 3] {
            let g = group("G", clone: clone)
            for v in [guidVolume, noGUID] {
                let uuid = DeviceNames.volumeUUID(g, v)
                let parsed = try XCTUnwrap(DeviceNames.parse(uuid: uuid), uuid)
                XCTAssertEqual(parsed.group, g.guid)
                XCTAssertEqual(parsed.clone, clone)
                XCTAssertEqual(parsed.volume, v.guid?.text ?? "v42")
                XCTAssertNil(parsed.helperPartition)
                XCTAssertTrue(DeviceNames.isVolumeUUID(uuid))
                let helper = uuid + "-p99"   // as partitionUUID builds it for partition 99
                XCTAssertEqual(DeviceNames.parse(uuid: helper)?.helperPartition, 99)
                XCTAssertTrue(DeviceNames.isHelperUUID(helper))
                XCTAssertFalse(DeviceNames.isVolumeUUID(helper))
                XCTAssertTrue(DeviceNames.sameVolume(uuid, DeviceNames.volumeUUID(group("G"), v)))
            }
        }
        for bad in ["", "LDM-", "LDM-03c0c4fc-8b6f-402b-9431-4be2e5823b1c", "LDM-03c0c4fc-8b6f-402b-9431-4be2e5823b1c-",
                    "LDM-03c0c4fc-8b6f-402b-9431-4be2e5823b1c-v", "LDM-03c0c4fc-8b6f-402b-9431-4be2e5823b1c-v1-p",
                    "LDM-03c0c4fc-8b6f-402b-9431-4be2e5823b1c-v1-px", "LDM-03c0c4fc-8b6f-402b-9431-4be2e5823b1c-clone-v1",
                    "LDM-03c0c4fc-8b6f-402b-9431-4be2e5823b1c-v1/..", "lvm-03c0c4fc-8b6f-402b-9431-4be2e5823b1c-v1"] {
            XCTAssertNil(DeviceNames.parse(uuid: bad), bad)
        }
        let name = DeviceNames.volumeName(group("Red"), guidVolume)
        XCTAssertTrue(DeviceNames.belongs(name: name, uuid: "", toGroup: "Red"))
        XCTAssertTrue(DeviceNames.belongs(name: "x", uuid: DeviceNames.volumeUUID(group("Red"), guidVolume),
                                          toGroup: "03C0C4FC-8B6F-402B-9431-4BE2E5823B1C"))
        XCTAssertFalse(DeviceNames.belongs(name: name, uuid: "", toGroup: "Re"))
        XCTAssertTrue(DeviceNames.isVolume(named: "V", deviceName: name))
        XCTAssertTrue(DeviceNames.isVolume(named: name, deviceName: name))
        XCTAssertFalse(DeviceNames.isVolume(named: "V", deviceName: "ldm_part_Red_V"))
    }

    func testHostileBytesNeverReachANameOrUUID() {
        let hostile: [UInt8] = Array("a/b c\"d'e$f`g;h|i&j\n".utf8) + [0x00, 0x01, 0x7F, 0xC3, 0x28, 0xFF, 0x3D, 0x25]
        let g = group(String(decoding: hostile, as: UTF8.self))
        let v = volume(hostile)
        for name in [DeviceNames.volumeName(g, v), DeviceNames.volumeUUID(g, v)] {
            XCTAssertTrue(DeviceNames.isSafe(name), name)
            XCTAssertTrue(name.utf8.allSatisfy { b in
                (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || [0x2B, 0x2D, 0x2E, 0x5F].contains(b)
            }, name)
        }
    }

    func testMaximumLengthNamesAreCutStablyAndStayUnique() {
        let g = group(String(repeating: "G", count: 31))
        let a = volume(Array(repeating: UInt8(ascii: "V"), count: 255) + [UInt8(ascii: "a")])
        let b = volume(Array(repeating: UInt8(ascii: "V"), count: 255) + [UInt8(ascii: "b")])
        let na = DeviceNames.volumeName(g, a), nb = DeviceNames.volumeName(g, b)
        XCTAssertLessThanOrEqual(na.utf8.count, DMNameRules.maxNameLength)
        XCTAssertNotEqual(na, nb)
        XCTAssertEqual(na, DeviceNames.volumeName(g, a))
        XCTAssertLessThanOrEqual(DeviceNames.volumeUUID(g, a).utf8.count, DMNameRules.maxUUIDLength)
    }

    func testClonesGetDistinctPredictableNames() {
        let v = volume(Array("Volume1".utf8))
        let first = group("Dg0"), second = group("Dg0", clone: 1)
        XCTAssertEqual(DeviceNames.volumeName(second, v), "ldm_vol_Dg0.clone1_Volume1")
        XCTAssertNotEqual(DeviceNames.volumeUUID(first, v), DeviceNames.volumeUUID(second, v))
    }

    func testCollidingSafeNamesAreRefused() throws {
        let g = group("G")
        let a = VolumeStack(groupName: "G", volumeName: "a b", devices: [DMDevice(name: "ldm_vol_G_a_x20b", uuid: "LDM-1", targets: [])])
        let b = VolumeStack(groupName: "G", volumeName: "a_x20b", devices: [DMDevice(name: "ldm_vol_G_a_x20b", uuid: "LDM-2", targets: [])])
        XCTAssertThrowsError(try TablePlanner.checkUnique([a, b])) { XCTAssertTrue("\($0)".contains("also used by")) }
        _ = g
    }
}
