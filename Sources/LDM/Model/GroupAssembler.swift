/// Puts the disks that were read together into disk groups: picks the
/// newest database copy of each group, places every present disk, checks
/// extents against the real disks, and works out what is readable.
public enum GroupAssembler {
    public struct Result: Sendable {
        public var groups: [DiskGroup]
        /// Groups that could not be built, one error each.
        public var errors: [LDMError]
    }

    public static func assemble(_ members: [DiskMetadata]) -> Result {
        var groups: [DiskGroup] = []
        var errors: [LDMError] = []
        let byGroup = Dictionary(grouping: members, by: { $0.privateHeader.groupGUID })
        for guid in byGroup.keys.sorted() {
            for (index, set) in cloneSets(byGroup[guid]!).enumerated() {
                do {
                    let (group, problems) = try build(guid: guid, cloneIndex: index, members: set)
                    groups.append(group)
                    errors += problems
                } catch let error as LDMError {
                    errors.append(error)
                } catch {
                    errors.append(LDMError(.invalid, device: set[0].device.display, location: "disk group \(guid)", "\(error)"))
                }
            }
        }
        numberSameNames(&groups)
        return Result(groups: groups, errors: errors)
    }

    /// Different groups (GUIDs) with one name: the first in GUID order
    /// keeps it, the others are numbered (device names get `.dup<k>`).
    static func numberSameNames(_ groups: inout [DiskGroup]) {
        let byName = Dictionary(grouping: groups.indices, by: { groups[$0].name.deviceSafe })
        for indices in byName.values {
            let guids = Set(indices.map { groups[$0].guid }).sorted()
            guard guids.count > 1 else { continue }
            for i in indices {
                let k = guids.firstIndex(of: groups[i].guid)!
                groups[i].sameNameIndex = k
                let others = indices.filter { groups[$0].guid != groups[i].guid }
                    .map { "\(groups[$0].guid) (\(groups[$0].disks.compactMap { $0.location?.device.display }.joined(separator: ", ")))" }
                groups[i].notes.append("other disk groups have the same name: \(Set(others).sorted().joined(separator: "; "))"
                    + (k > 0 ? "; this one's device names carry .dup\(k)" : "; this one (the first by GUID) keeps the plain name"))
            }
        }
    }

    /// Devices that carry the same group and disk GUID are copies of one
    /// disk (a cloned VM, an image beside its original). Each copy goes into
    /// its own set: the k-th device of each disk (in path order) into set k,
    /// so the naming is predictable.
    static func cloneSets(_ members: [DiskMetadata]) -> [[DiskMetadata]] {
        let byDisk = Dictionary(grouping: members, by: { $0.privateHeader.diskGUID })
        let setCount = byDisk.values.map(\.count).max() ?? 0
        var sets = Array(repeating: [DiskMetadata](), count: setCount)
        for disk in byDisk.keys.sorted() {
            for (k, m) in byDisk[disk]!.sorted(by: { $0.device < $1.device }).enumerated() {
                sets[k].append(m)
            }
        }
        return sets.map { $0.sorted { $0.device < $1.device } }
    }

    /// The group from one set of present disks, and the problems found on
    /// the way that did not stop it (foreign disks, outvoted copies).
    static func build(guid: GUID, cloneIndex: Int, members all: [DiskMetadata]) throws -> (DiskGroup, [LDMError]) {
        let choice = try ConfigurationChoice(guid: guid, members: settleChange(all))
        let members = choice.members
        let newest = choice.chosen.holders[0]
        var notes = choice.notes
        for m in members { notes += m.notes.map { "\(m.device): \($0)" } }
        let location = ConfigurationChoice.location(newest)
        let config = choice.chosen.configuration
        let sectorSizes = Set(members.map(\.sectorSize))
        guard sectorSizes.count == 1 else {
            throw LDMError(.inconsistent, device: newest.device.display, location: "disk group \(guid)", field: "sector size",
                           "members have different sector sizes: \(sectorSizes.sorted())")
        }

        var disks = config.disks
        for m in members {
            guard let i = disks.firstIndex(where: { $0.guid == m.privateHeader.diskGUID }) else {
                notes.append("\(m.device): disk \(m.privateHeader.diskGUID) is not in the group's configuration; ignored")
                continue
            }
            let h = m.privateHeader
            disks[i].location = DiskLocation(
                device: m.device, sectorSize: m.sectorSize, partitionStyle: m.partitionTable.style,
                dataStart: h.logicalDiskStart, dataSize: h.logicalDiskSize,
                databaseStart: h.configStart, databaseSize: h.configSize)
        }

        var volumes = config.volumes
        try checkByteSizes(volumes, sectorSize: sectorSizes.first!, device: newest.device.display, location: location)
        try checkExtents(disks: disks, volumes: volumes, device: newest.device.display, location: location)
        let present = Set(disks.filter(\.isPresent).map(\.id))
        for i in volumes.indices { volumes[i].state = state(of: volumes[i], present: present) }
        for i in disks.indices { disks[i].regions = regions(of: disks[i], volumes: volumes) }

        return (DiskGroup(guid: guid, name: config.groupName ?? newest.privateHeader.groupName,
                         cloneIndex: cloneIndex, disks: disks, volumes: volumes,
                         committedSequence: newest.configurationSequence, databaseSource: newest.device,
                         notes: notes, sectorSize: sectorSizes.first!,
                         privateHeaderFlags: newest.privateHeader.flags), choice.problems)
    }

    /// A change Windows stopped is rolled back on a disk that shows it before
    /// its commit point, but if any member shows the same change past the
    /// point, the commit was reached: every member that holds the change's
    /// records rolls forward with it, so the group is not split by how far
    /// each disk got.
    static func settleChange(_ members: [DiskMetadata]) -> [DiskMetadata] {
        var committedBy: [UInt64: String] = [:]
        for m in members {
            if case .rolledForward(let to) = m.change, committedBy[to] == nil { committedBy[to] = m.device.display }
        }
        guard !committedBy.isEmpty else { return members }
        return members.map { m in
            guard case .rolledBack(let pending) = m.change, let other = committedBy[pending] else { return m }
            var m = m
            _ = m.rollForward(because: other)
            return m
        }
    }

    /// A volume's size and chunk size in bytes must fit 64 bits: a volume on
    /// missing disks is bounded by no disk, and `show` prints bytes.
    static func checkByteSizes(_ volumes: [Volume], sectorSize: Int, device: String, location: String) throws {
        for v in volumes {
            for (field, sectors) in [("size", v.size), ("chunk size", v.chunkSize)]
            where sectors.multipliedReportingOverflow(by: UInt64(sectorSize)).overflow {
                throw LDMError(.invalid, device: device, location: location, field: "volume \(v.name.display): \(field)",
                               "\(sectors) sectors of \(sectorSize) bytes do not fit in 64 bits")
            }
        }
    }

    /// Every partition must lie inside its disk's data area (where the disk
    /// is present and so its size known) and no two may share a sector.
    static func checkExtents(disks: [Disk], volumes: [Volume], device: String, location: String) throws {
        var byDisk: [UInt64: [(Partition, Volume)]] = [:]
        for v in volumes { for p in v.partitions { byDisk[p.diskID, default: []].append((p, v)) } }
        for disk in disks {
            let parts = (byDisk[disk.id] ?? []).sorted { $0.0.start < $1.0.start }
            if let loc = disk.location {
                for (p, v) in parts where p.start + p.size > loc.dataSize {
                    throw LDMError(.invalid, device: device, location: location,
                                   field: "partition \(p.name.display) of volume \(v.name.display)",
                                   "sectors \(p.start)+\(p.size) reach past the \(loc.dataSize)-sector data area of disk \(disk.name.display) (\(loc.device))")
                }
            }
            for (a, b) in zip(parts, parts.dropFirst()) where a.0.start + a.0.size > b.0.start {
                throw LDMError(.invalid, device: device, location: location,
                               field: "partition \(b.0.name.display)",
                               "overlaps partition \(a.0.name.display) on disk \(disk.name.display)")
            }
        }
    }

    public static func state(of volume: Volume, present: Set<UInt64>) -> VolumeState {
        // A member Windows marked out of date counts as missing.
        func usable(_ p: Partition) -> Bool { present.contains(p.diskID) && p.outOfDate == nil }
        func whole(_ c: Component) -> Bool { c.partitions.allSatisfy(usable) }
        switch volume.type {
        case .simple, .spanned, .striped:
            return volume.components.allSatisfy(whole) ? .complete : .incomplete
        case .mirrored:
            let wholePlexes = volume.components.filter(whole).count
            if wholePlexes == volume.components.count { return .complete }
            return wholePlexes > 0 ? .degraded : .incomplete
        case .raid5:
            let missing = volume.partitions.filter { !usable($0) }.count
            return missing == 0 ? .complete : (missing == 1 ? .degraded : .incomplete)
        }
    }

    static func regions(of disk: Disk, volumes: [Volume]) -> [Region] {
        var used: [Region] = []
        for v in volumes {
            for p in v.partitions where p.diskID == disk.id {
                used.append(Region(start: p.start, size: p.size, partitionName: p.name, volumeName: v.name))
            }
        }
        used.sort { $0.start < $1.start }
        guard let size = disk.location?.dataSize else { return used }
        var out: [Region] = []
        var position: UInt64 = 0
        for r in used {
            if r.start > position { out.append(Region(start: position, size: r.start - position)) }
            out.append(r)
            position = max(position, r.start + r.size)
        }
        if position < size { out.append(Region(start: position, size: size - position)) }
        return out
    }
}
