/// Turns the records of one database copy into disks and volumes, checking
/// every reference and size on the way: records come from an untrusted disk.
struct ConfigurationBuilder {
    let device: String
    let location: String

    struct Configuration {
        var groupName: LDMName?
        var disks: [Disk]
        var volumes: [Volume]
    }

    func fail(_ field: String?, _ problem: String) -> LDMError {
        LDMError(.invalid, device: device, location: location, field: field, problem)
    }

    func build(_ records: [VBLKRecord]) throws -> Configuration {
        var groups: [DiskGroupRecord] = [], disks: [DiskRecord] = [], volumes: [VolumeRecord] = []
        var components: [ComponentRecord] = [], partitions: [PartitionRecord] = []
        var seen: Set<UInt64> = []
        for record in records {
            guard seen.insert(record.id).inserted else {
                throw fail("object id", "two records share object id \(record.id)")
            }
            switch record {
            case .diskGroup(let r): groups.append(r)
            case .disk(let r): disks.append(r)
            case .volume(let r): volumes.append(r)
            case .component(let r): components.append(r)
            case .partition(let r): partitions.append(r)
            }
        }
        guard groups.count <= 1 else { throw fail("disk group", "\(groups.count) disk group records in one database") }
        try unique(disks.map(\.guid), "disk GUID")
        try unique(disks.map(\.name), "disk name")
        try unique(volumes.map(\.name), "volume name")
        try unique(partitions.map(\.name), "partition name")

        let diskIDs = Set(disks.map(\.id))
        var partsByComponent: [UInt64: [Partition]] = [:]
        let componentIDs = Set(components.map(\.id))
        for p in partitions {
            let name = p.name.display
            guard diskIDs.contains(p.diskID) else { throw fail("partition \(name): disk id", "refers to disk \(p.diskID), which does not exist") }
            guard componentIDs.contains(p.parentID) else { throw fail("partition \(name): parent id", "refers to component \(p.parentID), which does not exist") }
            guard p.size > 0 else { throw fail("partition \(name): size", "is zero") }
            guard p.start.addingReportingOverflow(p.size).overflow == false else { throw fail("partition \(name): start", "start + size overflows") }
            partsByComponent[p.parentID, default: []].append(
                Partition(id: p.id, name: p.name, diskID: p.diskID, start: p.start, size: p.size,
                          volumeOffset: p.volumeOffset, column: p.column,
                          outOfDate: Self.outOfDate(p, disks.first { $0.id == p.diskID }!)))
        }

        let volumeIDs = Set(volumes.map(\.id))
        var compsByVolume: [UInt64: [(ComponentRecord, [Partition])]] = [:]
        for c in components {
            let parts = partsByComponent[c.id] ?? []
            let name = c.name.display
            guard volumeIDs.contains(c.parentID) else { throw fail("component \(name): parent id", "refers to volume \(c.parentID), which does not exist") }
            guard UInt64(parts.count) == c.partitionCount else {
                throw fail("component \(name): partition count", "says \(c.partitionCount), \(parts.count) partitions refer to it")
            }
            var marked = parts
            if !c.flags.isDisjoint(with: [.recover, .ioFail]) {
                let why = c.flags.contains(.ioFail) ? "failed with an I/O error" : "must be recovered from another plex"
                for i in marked.indices where marked[i].outOfDate == nil {
                    marked[i].outOfDate = "Windows marked plex \(c.name.display) out of date (\(why))"
                }
            }
            compsByVolume[c.parentID, default: []].append((c, marked))
        }

        var built: [Volume] = []
        for v in volumes {
            built.append(try volume(v, compsByVolume[v.id] ?? []))
        }
        let diskModels = disks.map { Disk(id: $0.id, name: $0.name, guid: $0.guid, location: nil, regions: [], flags: $0.flags) }
        return Configuration(groupName: groups.first?.name, disks: diskModels, volumes: built)
    }

    func unique<T: Hashable>(_ values: [T], _ what: String) throws {
        var seen: Set<T> = []
        for v in values where !seen.insert(v).inserted {
            throw fail(what, "\(v) appears twice")
        }
    }

    func volume(_ v: VolumeRecord, _ comps: [(ComponentRecord, [Partition])]) throws -> Volume {
        let name = v.name.display
        func bad(_ field: String, _ problem: String) -> LDMError { fail("volume \(name): \(field)", problem) }
        guard UInt64(comps.count) == v.componentCount else {
            throw bad("component count", "says \(v.componentCount), \(comps.count) components refer to it")
        }
        guard let first = comps.first else { throw bad("components", "volume has no component") }
        guard v.size > 0 else { throw bad("size", "is zero") }

        let type: VolumeType
        var chunk: UInt64 = 0
        var built: [Component] = []
        // Read policies 1-3 (round-robin, preferred plex, select) are all
        // "gen" volumes; 4 is RAID-5.
        switch (v.typeCode == 4 ? 4 : 3, first.0.kind) {
        case (3, .spanned):
            guard comps.allSatisfy({ $0.0.kind == .spanned }) else { throw bad("components", "mixes spanned and other component types") }
            for (c, parts) in comps {
                // Pieces of a concatenation in volume order, without gaps.
                let ordered = parts.sorted { $0.volumeOffset < $1.volumeOffset }
                var position: UInt64 = 0
                for p in ordered {
                    guard p.volumeOffset == position else {
                        throw bad("partition \(p.name.display): volume offset", "is \(p.volumeOffset), expected \(position) (pieces must follow each other)")
                    }
                    let (next, overflow) = position.addingReportingOverflow(p.size)
                    guard !overflow else { throw bad("partition \(p.name.display): size", "pieces add up past 2^64 sectors") }
                    position = next
                }
                guard position >= v.size else {
                    throw bad("size", "is \(v.size) sectors but component \(c.name.display) holds only \(position)")
                }
                built.append(Component(id: c.id, name: c.name, partitions: ordered))
            }
            type = comps.count > 1 ? .mirrored : (first.1.count > 1 ? .spanned : .simple)
        case (3, .striped), (4, .raid5):
            guard comps.count == 1 else { throw bad("component count", "a striped or RAID-5 volume has exactly one component, found \(comps.count)") }
            let (c, parts) = first
            type = c.kind == .striped ? .striped : .raid5
            let minimum = type == .raid5 ? 3 : 2
            guard parts.count >= minimum else { throw bad("columns", "\(type.rawValue) needs at least \(minimum) partitions, found \(parts.count)") }
            guard c.columns == UInt64(parts.count) else {
                throw bad("columns", "component says \(c.columns) columns, \(parts.count) partitions refer to it")
            }
            guard c.chunkSize > 0 else { throw bad("chunk size", "is zero") }
            chunk = c.chunkSize
            let ordered = parts.sorted { $0.column < $1.column }
            guard ordered.map(\.column) == (0..<UInt64(parts.count)).map({ $0 }) else {
                throw bad("column index", "columns are \(ordered.map { String($0.column) }.joined(separator: ",")); expected 0..\(parts.count - 1) once each")
            }
            let smallest = ordered.map(\.size).min()!
            let dataColumns = UInt64(type == .raid5 ? parts.count - 1 : parts.count)
            let (capacity, overflow) = smallest.multipliedReportingOverflow(by: dataColumns)
            guard overflow || capacity >= v.size else {
                throw bad("size", "is \(v.size) sectors but \(dataColumns) data columns of \(smallest) hold only \(capacity)")
            }
            built = [Component(id: c.id, name: c.name, partitions: ordered)]
        default:
            throw bad("type", "volume read policy \(v.typeCode) with a \(first.0.kind) component is not a known layout")
        }
        var volume = Volume(id: v.id, name: v.name, guid: v.guid, type: type, size: v.size, chunkSize: chunk,
                            driveHint: v.driveHint, partitionType: v.partitionType, components: built,
                            state: .incomplete)
        volume.flags = v.flags
        volume.recordState = v.state
        // A mirror or RAID-5 whose record state is not ACTIVE ("SYNC": Windows
        // was resynchronising it) has members that may differ, and the records
        // do not say which hold current data: none is read rather than one
        // guessed (and never `nosync` over them).
        if type == .mirrored || type == .raid5, v.state.raw != Array("ACTIVE".utf8) {
            let why = "Windows recorded volume \(name) in state \(v.state.display), not ACTIVE: its members may not be in sync and the records do not say which is current; let Windows finish resynchronising it"
            for c in volume.components.indices {
                for p in volume.components[c].partitions.indices where volume.components[c].partitions[p].outOfDate == nil {
                    volume.components[c].partitions[p].outOfDate = why
                }
            }
        }
        return volume
    }

    /// Why Windows considers a member out of date, if it does: the extent is
    /// marked for recovery, or its disk was detached or removed (Windows went
    /// on without it, so writes it missed are only on the other members).
    static func outOfDate(_ p: PartitionRecord, _ disk: DiskRecord) -> String? {
        if !p.flags.isDisjoint(with: [.recover, .kernelDetached]) {
            return "Windows marked partition \(p.name.display) out of date (to be rebuilt from the other members)"
        }
        if !disk.flags.isDisjoint(with: [.detached, .removed]) {
            return "Windows marked disk \(disk.name.display) \(disk.flags.contains(.removed) ? "removed" : "detached"): what it holds is out of date until it is reactivated in Windows"
        }
        return nil
    }
}
