import LDM

public struct PlanError: Error, Equatable, Sendable, CustomStringConvertible {
    public var group: String
    public var volume: String
    public var problem: String
    public var description: String { "volume \(volume) of disk group \(group): \(problem)" }

    public init(group: String, volume: String, problem: String) {
        self.group = group
        self.volume = volume
        self.problem = problem
    }
}

/// Turns a volume into the device-mapper devices that present it. Pure:
/// no I/O, the same input always gives the same tables. What the kernel
/// knows of each disk (its number, its partitions) is read once before
/// planning and passed in as `devices`.
public struct TablePlanner {
    /// The kernel's view of each present disk, by its path. A disk not in
    /// it is an image file (or a test's disk): named by path, no partitions.
    public var devices: [DevicePath: DiskDevice]
    /// Map through whole disks even where a kernel partition covers an
    /// extent (`--whole-disk`). Otherwise an extent goes through the
    /// smallest partition that holds it: when another partition of the disk
    /// is mounted, the whole disk cannot be claimed by device-mapper, but
    /// an unused partition can.
    public var wholeDisk: Bool
    /// Windows' RAID-5 parity placement in device-mapper's terms.
    public static let raid5Layout = "raid5_ls"

    public init(devices: [DevicePath: DiskDevice] = [:], wholeDisk: Bool = false) {
        self.devices = devices
        self.wholeDisk = wholeDisk
    }

    /// Where an extent of a disk is reached: a member and an offset on it,
    /// in 512-byte units.
    func reach(_ path: DevicePath, start: UInt64, length: UInt64) -> (TableMember, UInt64) {
        let device = devices[path]
        if !wholeDisk, let p = device?.partition(covering: start, length: length) {
            let partitionPath = "/dev/\(p.name)"
            return (TableMember(number: p.number, tablePath: partitionPath, display: partitionPath), start - p.start)
        }
        let tablePath = path.isTableSafe ? path.string : nil
        return (TableMember(number: device?.number, tablePath: tablePath, display: path.display), start)
    }

    /// The stack for one volume. Degraded volumes get their missing members
    /// marked `- -`; `allowDegraded: false` refuses them instead.
    public func plan(_ group: DiskGroup, _ volume: Volume, allowDegraded: Bool = true) throws -> VolumeStack {
        func fail(_ problem: String) -> PlanError {
            PlanError(group: group.name.display, volume: volume.name.display, problem: problem)
        }
        let missing = volume.partitions.filter { !Self.usable($0, group) }
        switch volume.state {
        case .incomplete:
            throw fail("incomplete: " + missingText(group, missing))
        case .degraded where !allowDegraded:
            throw fail("degraded (" + missingText(group, missing) + ") and degraded volumes were not allowed")
        default:
            break
        }
        let scale = UInt64(group.sectorSize / 512)
        let size = volume.size * scale
        let name = DeviceNames.volumeName(group, volume)
        let uuid = DeviceNames.volumeUUID(group, volume)
        var notes: [String] = []
        if volume.state == .degraded { notes.append("degraded: " + missingText(group, missing)) }

        // A linear target for each piece of `partitions`, cut at `limit`.
        func linear(_ partitions: [Partition], limit: UInt64) throws -> [DMTarget] {
            var targets: [DMTarget] = []
            var position: UInt64 = 0
            for p in partitions where position < limit {
                let length = min(p.size * scale, limit - position)
                let (member, offset) = try reach(p, length)
                targets.append(DMTarget(start: position, length: length, type: "linear",
                                        arguments: [.member(member), .word("\(offset)")]))
                position += length
            }
            return targets
        }

        func reach(_ p: Partition, _ length: UInt64) throws -> (TableMember, UInt64) {
            guard let loc = group.disk(id: p.diskID)?.location else {
                throw fail("partition \(p.name.display) is on a missing disk")
            }
            let start = (loc.dataStart + p.start) * scale
            let (member, offset) = self.reach(loc.device, start: start, length: length)
            let number = member.number.map { " (device \($0))" } ?? ""
            notes.append("\(p.name.display): \(member.display) at sector \(offset), \(length) sectors\(number)")
            return (member, offset)
        }

        var devices: [DMDevice] = []
        switch volume.type {
        case .simple, .spanned:
            devices = [DMDevice(name: name, uuid: uuid, targets: try linear(volume.components[0].partitions, limit: size))]
        case .striped:
            let parts = volume.components[0].partitions
            let columns = UInt64(parts.count)
            // Chunk sizes come from disk: multiply without trapping.
            let (chunk, o1) = volume.chunkSize.multipliedReportingOverflow(by: scale)
            let (stripe, o2) = columns.multipliedReportingOverflow(by: chunk)
            guard !o1, !o2, size % stripe == 0 else {
                throw fail("size \(size) is not a whole number of stripes (\(columns) x \(chunk) sectors)")
            }
            var arguments: [TableArgument] = [.word("\(columns)"), .word("\(chunk)")]
            for p in parts {
                let (member, offset) = try reach(p, size / columns)
                arguments += [.member(member), .word("\(offset)")]
            }
            devices = [DMDevice(name: name, uuid: uuid, targets: [DMTarget(start: 0, length: size, type: "striped", arguments: arguments)])]
        case .mirrored, .raid5:
            // dm-raid takes whole devices, so each member gets a linear helper.
            let members: [[Partition]] = volume.type == .mirrored
                ? volume.components.map(\.partitions)
                : volume.components[0].partitions.map { [$0] }
            let memberSize: UInt64
            if volume.type == .raid5 {
                let data = UInt64(members.count - 1)
                let (chunk, o1) = volume.chunkSize.multipliedReportingOverflow(by: scale)
                guard !o1, chunk >= 8, chunk & (chunk - 1) == 0 else {
                    throw fail("chunk size \(volume.chunkSize) x \(scale) sectors is not a power of two of at least 8, as dm-raid needs")
                }
                let (stripe, o2) = data.multipliedReportingOverflow(by: chunk)
                guard !o2, size % stripe == 0 else {
                    throw fail("size \(size) is not a whole number of stripes (\(data) data columns x \(chunk) sectors)")
                }
                memberSize = size / data
            } else {
                memberSize = size
            }
            var memberArgs: [String] = []
            for member in members {
                guard member.allSatisfy({ Self.usable($0, group) }) else {
                    memberArgs.append("- -")
                    continue
                }
                let helper = DMDevice(name: DeviceNames.partitionName(group, member[0]),
                                      uuid: DeviceNames.partitionUUID(group, volume, member[0]),
                                      targets: try linear(member, limit: memberSize))
                devices.append(helper)
                memberArgs.append("- /dev/mapper/\(helper.name)")
            }
            // nosync: the members are in sync as Windows left them; without it
            // the kernel would rewrite a whole member on its own.
            let head = volume.type == .mirrored
                ? "raid1 2 0 nosync"
                : "\(Self.raid5Layout) 2 \(volume.chunkSize * scale) nosync"
            let params = "\(head) \(members.count) " + memberArgs.joined(separator: " ")
            devices.append(DMDevice(name: name, uuid: uuid, targets: [DMTarget(start: 0, length: size, type: "raid", params: params)]))
        }
        for d in devices {
            guard DeviceNames.isSafe(d.name), DeviceNames.isSafe(d.uuid) else {
                throw fail("internal: unsafe device name \(LDMName(d.name).display)")
            }
        }
        return VolumeStack(groupName: group.name.display, volumeName: volume.name.display, devices: devices, notes: notes,
                           degraded: volume.state == .degraded)
    }

    /// A member is read only if its disk is here and Windows did not mark
    /// it out of date.
    static func usable(_ p: Partition, _ group: DiskGroup) -> Bool {
        group.disk(id: p.diskID)?.isPresent == true && p.outOfDate == nil
    }

    func missingText(_ group: DiskGroup, _ missing: [Partition]) -> String {
        let absent = missing.filter { group.disk(id: $0.diskID)?.isPresent != true }
        let disks = Set(absent.map(\.diskID)).compactMap { group.disk(id: $0)?.name.display }.sorted()
        var parts: [String] = []
        if !disks.isEmpty { parts.append("disk\(disks.count == 1 ? "" : "s") \(disks.joined(separator: ", ")) missing") }
        for reason in Set(missing.filter { !absent.contains($0) }.compactMap(\.outOfDate)).sorted() { parts.append(reason) }
        return parts.joined(separator: "; ")
    }

    /// Plans many volumes and checks that no two devices share a name or
    /// UUID (names from disk can collide once made safe, and clones must
    /// not collide at all).
    public static func checkUnique(_ stacks: [VolumeStack]) throws {
        var names: [String: String] = [:], uuids: [String: String] = [:]
        for s in stacks {
            let owner = "\(s.groupName)/\(s.volumeName)"
            for d in s.devices {
                // Also within one volume: two helpers can share a name.
                if let other = names.updateValue(owner, forKey: d.name) {
                    throw PlanError(group: s.groupName, volume: s.volumeName, problem: "device name \(d.name) is also used by \(other)")
                }
                if let other = uuids.updateValue(owner, forKey: d.uuid) {
                    throw PlanError(group: s.groupName, volume: s.volumeName, problem: "device UUID \(d.uuid) is also used by \(other)")
                }
            }
        }
    }
}
