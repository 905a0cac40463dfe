#if canImport(Glibc)
import Glibc
#endif
import LDM
import DMTable
import BlockDevices
import Activation
import DeviceMapper

/// Reads the system's state: LDM metadata of the disks present (found
/// through udev, or sysfs) and the LDM devices device-mapper has, with the
/// kernel's own health of each redundant target.
public struct SystemObserver {
    public init() {}

    /// The state, problems met while reading it (display-safe), and the
    /// GUIDs of groups whose disks were read but that could not be put
    /// together.
    public func observe() -> (MonitorState, [String], Set<String>) {
        // Disks as udev announced them, so that a disk udev reported
        // removed is gone here too (the helper retires its volumes).
        let scan = DiskScanner(announcedOnly: true).scan([])
        let assembled = GroupAssembler.assemble(scan.members)
        var errors = assembled.errors.map(\.description)
        var active: [ActiveVolume] = []
        // A device removed between listing and reading its table fails the
        // read (ENXIO): the look is repeated, as the next one would be.
        for attempt in 1...3 {
            do {
                active = try Activator().status()
                break
            } catch {
                if attempt == 3 { errors.append("\(error)") }
            }
        }
        let byUUID = Dictionary(active.map { ($0.uuid, $0) }, uniquingKeysWith: { a, _ in a })
        let groups = assembled.groups.map { g in Self.state(of: g, active: byUUID) }
        let built = Set(assembled.groups.map(\.guid.text))
        let unreadable = Set(scan.members.map(\.privateHeader.groupGUID.text)).subtracting(built)
        return (MonitorState(groups: groups), errors, unreadable)
    }

    static func state(of g: DiskGroup, active: [String: ActiveVolume]) -> GroupState {
        // Clones of one group share its GUID; they are told apart as
        // device-mapper names them.
        let guid = DeviceNames.groupID(g)
        let disks = g.disks.map { DiskState(guid: $0.guid.text, name: $0.name, device: $0.location?.device) }
        let volumes = g.volumes.map { v in
            volumeState(g, v, active: active[DeviceNames.volumeUUID(g, v)])
        }
        return GroupState(guid: guid, name: g.name, disks: disks, volumes: volumes)
    }

    /// A volume's health from its devices: the dm-raid/mirror member
    /// health characters, `error` targets standing in for a missing part,
    /// and member disks that are no longer present.
    public static func volumeState(_ g: DiskGroup, _ v: Volume, active: ActiveVolume?) -> ObservedVolume {
        let guid = DeviceNames.volumeID(v)
        guard let active else { return ObservedVolume(guid: guid, name: v.name, active: false) }
        func diskName(_ p: Partition) -> LDMName? { g.disk(id: p.diskID)?.name }

        // The members as the planner lays them out (TablePlanner): a
        // mirror's plexes, or a RAID-5's columns; one partition each otherwise.
        let members: [[Partition]]
        switch v.type {
        case .mirrored: members = v.components.map(\.partitions)
        case .raid5: members = v.components.first?.partitions.map { [$0] } ?? []
        default: members = v.partitions.map { [$0] }
        }
        // Helper devices name their partition in their UUID (`...-p<id>`).
        var helperPartition: [DeviceNumber: Partition] = [:]
        for d in active.devices {
            guard let id = DeviceNames.parse(uuid: d.uuid)?.helperPartition,
                  let p = v.partitions.first(where: { $0.id == id }) else { continue }
            helperPartition[d.number] = p
        }

        var failed = Set<Int>()   // indexes into members
        func index(of p: Partition) -> Int? { members.firstIndex { $0.contains { $0.id == p.id } } }
        var resyncing = false
        var raidFailedCount = 0
        var raidCount = 0
        for d in active.devices {
            for t in d.targets {
                if t.type == "error" {
                    // A part whose disk is missing (or a failure injected by
                    // replacing a helper's table).
                    if let p = helperPartition[d.number], let i = index(of: p) { failed.insert(i) } else { failed.insert(-1) }
                }
                guard let h = t.health else { continue }
                raidCount = h.members.count
                // A member not in sync while others are is being rebuilt
                // (dm-raid `a` beside `A`): until it is, the volume has no
                // redundancy, so it still counts as lost. All members `a`
                // is a whole-volume resync, not a loss.
                let rebuilding = h.members.contains { $0.state == .alive }
                for m in h.members where [.dead, .failed, .missing].contains(m.state)
                    || (rebuilding && m.state == .aliveNotInSync) {
                    raidFailedCount += 1
                    if let number = DeviceNumber(m.device), let p = helperPartition[number], let i = index(of: p) {
                        failed.insert(i)
                    } else if m.index < members.count {
                        failed.insert(m.index)
                    } else {
                        failed.insert(-1)
                    }
                }
                let action = h.syncAction ?? ""
                if !h.inSync && (h.syncAction == nil || action == "resync" || action == "recover") { resyncing = true }
                // Right after a table with `rebuild` is loaded the member is
                // `a` before md has started the recovery (action still idle).
                if h.syncAction != nil && h.members.contains(where: { $0.state == .aliveNotInSync }) { resyncing = true }
            }
        }
        // A member disk that is gone while the volume is still mapped.
        for (i, member) in members.enumerated() where member.contains(where: { g.disk(id: $0.diskID)?.isPresent != true }) {
            failed.insert(i)
        }

        let redundant = v.type == .mirrored || v.type == .raid5
        let tolerated = v.type == .mirrored ? max(members.count - 1, 0) : (v.type == .raid5 ? 1 : 0)
        let lost = max(failed.count, raidFailedCount)
        let health: MonitorHealth
        if lost == 0 {
            health = .ok
        } else if redundant && lost <= tolerated && (raidCount == 0 || raidFailedCount < raidCount) {
            health = .degraded
        } else {
            health = .failed
        }
        var names: [LDMName] = []
        for i in failed.sorted() where i >= 0 {
            for p in members[i] { if let n = diskName(p), !names.contains(n) { names.append(n) } }
        }
        return ObservedVolume(guid: guid, name: v.name, active: true, health: health,
                           failedMembers: names, resyncing: resyncing && health != .failed)
    }
}
