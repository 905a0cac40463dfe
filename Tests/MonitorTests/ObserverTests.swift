import Foundation
import Testing
import LDM
import LDMWriter
import DMTable
import DeviceMapper
@testable import Activation
@testable import Monitor

/// Volume health from the kernel's view, as `SystemObserver` reads it:
/// active volumes are built as `Activator.status()` returns them (through
/// the internal initialisers, since their fields come only from the
/// kernel), over a written group.
@Suite struct ObserverTests {
    static let MiB = ImageSpec.MiB

    func group(present: [String] = ["D1", "D2", "D3", "D4"]) throws -> DiskGroup {
        let spec = ImageSpec(groups: [.init(name: "Obs", disks: (1...4).map {
            ImageSpec.Disk(name: "D\($0)", sizeBytes: 8 * Self.MiB)
        }, volumes: [
            .init(name: "Raid5", kind: .raid5, sizeBytes: 2 * Self.MiB, disks: ["D1", "D2", "D3"]),
            .init(name: "Mirror", kind: .mirrored, sizeBytes: Self.MiB, disks: ["D3", "D4"]),
            .init(name: "Spanned", kind: .spanned, sizeBytes: 2 * Self.MiB, disks: ["D1", "D2"],
                  spanBytes: [Self.MiB, Self.MiB]),
        ])])
        let images = try ImageWriter.write(spec).filter { image in present.contains { image.fileName.contains("-\($0)") } }
        let members = try images.map { try DiskMetadata.read(from: $0) }
        let assembled = GroupAssembler.assemble(members)
        return try #require(assembled.groups.first)
    }

    func volume(_ g: DiskGroup, _ name: String) throws -> Volume {
        try #require(g.volumes.first { $0.name == LDMName(name) })
    }

    /// One helper per member (253:1...), then the raid device, as the planner builds them.
    func raidVolume(_ g: DiskGroup, _ v: Volume, status health: String, missing: Set<Int> = []) throws -> ActiveVolume {
        let members: [[Partition]] = v.type == .mirrored ? v.components.map(\.partitions)
                                                          : v.components[0].partitions.map { [$0] }
        var devices: [ActiveDevice] = []
        var args: [String] = []
        for (i, m) in members.enumerated() {
            if missing.contains(i) { args.append("- -"); continue }
            devices.append(device(name: "h\(i)", uuid: DeviceNames.partitionUUID(g, v, m[0]), minor: i + 1,
                                  type: "linear", params: "7:\(i) 2048", status: ""))
            args.append("- 253:\(i + 1)")
        }
        let head = v.type == .mirrored ? "raid1 2 0 nosync" : "raid5_ls 2 128 nosync"
        let params = "\(head) \(members.count) " + args.joined(separator: " ")
        let level = v.type == .mirrored ? "raid1" : "raid5_ls"
        let status = "\(level) \(members.count) \(health) 4096/4096 idle 0"
        devices.append(device(name: "top", uuid: DeviceNames.volumeUUID(g, v), minor: 10, type: "raid",
                              params: params, status: status))
        return ActiveVolume(devices: devices, health: .ok)
    }

    func device(name: String, uuid: String, minor: Int, type: String, params: String, status: String) -> ActiveDevice {
        let target = ActiveTarget(start: 0, length: 4096, type: type, params: params, status: status,
                                  health: DMRedundancyHealth.parse(type: type, tableParams: params, status: status))
        return ActiveDevice(name: name, uuid: uuid, number: DeviceNumber(major: 253, minor: UInt32(minor)),
                            kernelName: "dm-\(minor)", openCount: 0, readOnly: false, suspended: false,
                            holders: [], dependencies: [], targets: [target])
    }

    func diskName(_ g: DiskGroup, column: Int, of v: Volume) -> LDMName {
        g.disk(id: v.components[0].partitions[column].diskID)!.name
    }

    @Test func healthyRaid5() throws {
        let g = try group()
        let v = try volume(g, "Raid5")
        let s = SystemObserver.volumeState(g, v, active: try raidVolume(g, v, status: "AAA"))
        #expect(s.active && s.health == .ok && s.failedMembers.isEmpty && !s.resyncing)
        #expect(!SystemObserver.volumeState(g, v, active: nil).active)
    }

    @Test func deadRaid5MemberIsNamed() throws {
        let g = try group()
        let v = try volume(g, "Raid5")
        for column in 0..<3 {
            var chars = Array("AAA")
            chars[column] = "D"
            let s = SystemObserver.volumeState(g, v, active: try raidVolume(g, v, status: String(chars)))
            #expect(s.health == .degraded)
            #expect(s.failedMembers == [diskName(g, column: column, of: v)], "column \(column)")
        }
    }

    @Test func missingRaid5MemberIsNamedByPosition() throws {
        let g = try group()
        let v = try volume(g, "Raid5")
        let s = SystemObserver.volumeState(g, v, active: try raidVolume(g, v, status: "A-A", missing: [1]))
        #expect(s.health == .degraded && s.failedMembers == [diskName(g, column: 1, of: v)])
    }

    @Test func twoDeadRaid5MembersFail() throws {
        let g = try group()
        let v = try volume(g, "Raid5")
        let s = SystemObserver.volumeState(g, v, active: try raidVolume(g, v, status: "DAD"))
        #expect(s.health == .failed)
    }

    /// The raid device with this status text (health characters, ratio, action).
    func withStatus(_ active: ActiveVolume, _ status: String) -> ActiveVolume {
        var active = active
        let top = active.devices.count - 1
        active.devices[top].targets[0].status = status
        active.devices[top].targets[0].health = DMRedundancyHealth.parse(
            type: "raid", tableParams: active.devices[top].targets[0].params, status: status)
        return active
    }

    /// A member being rebuilt (`a` beside `A`) is a resync, and the volume
    /// stays degraded, naming it, until the member is in sync.
    @Test func rebuildingMemberIsAResyncAndStillDegraded() throws {
        let g = try group()
        let v = try volume(g, "Mirror")
        let recovering = withStatus(try raidVolume(g, v, status: "Aa"), "raid1 2 Aa 1024/4096 recover 0")
        var s = SystemObserver.volumeState(g, v, active: recovering)
        #expect(s.health == .degraded && s.resyncing && s.failedMembers == [LDMName("D4")])

        let r5 = try volume(g, "Raid5")
        s = SystemObserver.volumeState(g, r5, active: withStatus(try raidVolume(g, r5, status: "AaA"), "raid5_ls 3 AaA 512/2048 recover 0"))
        #expect(s.health == .degraded && s.resyncing && s.failedMembers == [diskName(g, column: 1, of: r5)])
        // Loaded with `rebuild 1`, before md started the recovery.
        s = SystemObserver.volumeState(g, r5, active: withStatus(try raidVolume(g, r5, status: "AaA"), "raid5_ls 3 AaA 0/2048 idle 0"))
        #expect(s.health == .degraded && s.resyncing && s.failedMembers == [diskName(g, column: 1, of: r5)])
        // Done.
        s = SystemObserver.volumeState(g, r5, active: withStatus(try raidVolume(g, r5, status: "AAA"), "raid5_ls 3 AAA 2048/2048 idle 0"))
        #expect(s.health == .ok && !s.resyncing && s.failedMembers.isEmpty)
    }

    /// Every member `a`: a whole-volume resync, no member lost.
    @Test func wholeVolumeResyncIsNotDegraded() throws {
        let g = try group()
        let v = try volume(g, "Raid5")
        let s = SystemObserver.volumeState(g, v, active: withStatus(try raidVolume(g, v, status: "aaa"), "raid5_ls 3 aaa 512/2048 resync 0"))
        #expect(s.health == .ok && s.resyncing && s.failedMembers.isEmpty)
    }

    @Test func memberDiskGoneWhileMapped() throws {
        let g = try group(present: ["D1", "D2", "D3"])
        let v = try volume(g, "Mirror")
        let s = SystemObserver.volumeState(g, v, active: try raidVolume(g, v, status: "AA"))
        #expect(s.health == .degraded && s.failedMembers == [LDMName("D4")])
    }

    @Test func errorTargetInASpannedVolumeFails() throws {
        let g = try group()
        let v = try volume(g, "Spanned")
        let p = v.partitions[1]
        let active = ActiveVolume(devices: [
            device(name: "top", uuid: DeviceNames.volumeUUID(g, v), minor: 5, type: "linear", params: "7:0 2048", status: ""),
            device(name: "part", uuid: DeviceNames.partitionUUID(g, v, p), minor: 6, type: "error", params: "", status: ""),
        ], health: .ok)
        let s = SystemObserver.volumeState(g, v, active: active)
        #expect(s.health == .failed && s.failedMembers == [g.disk(id: p.diskID)!.name])
    }
}
