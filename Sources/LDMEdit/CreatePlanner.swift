import LDM
import LDMWriter

/// Plans a new volume in the free space of an editable group, following
/// what Windows writes (checked on the 2003 R2 images) and what
/// DiskAccessLibrary does where the images cannot tell:
///
/// * Each member takes one free region and starts at the region's start,
///   as every extent of the 2003 images does; sizes are whole MiB per
///   member (every extent of the 2003 images is; Windows' tools size in MB),
///   so striped and RAID-5 members are also whole chunks. A spanned volume
///   fills the free regions of its disks in order.
/// * Names: `VolumeN` for simple, spanned and mirrored volumes, `StripeN`
///   and `RaidN` for striped and RAID-5 ones, N the lowest not in use
///   (the 2003 images: Volume1..4, Stripe1, Raid1; DiskAccessLibrary
///   `GetNextVolumeName`); components `<volume>-01` (and `-02` for the
///   second plex); partitions `<disk>-NN`, NN the lowest free on that disk.
/// * Volume number: one above the highest in use, at least 5
///   (DiskAccessLibrary `GetNextVolumeNumber`; 5..10 on the 2003 images).
/// * Object ids: the committed id + 1, + 3, + 5, ... and the change's id
///   is the committed id + 2 × the number of new records: so the 2003
///   images number them (Volume4: ids 1123, 1125, 1127, 1129, committed in
///   1130). Every disk that gets a partition has its disk record rewritten
///   with the new commit id, as Windows does (the 2003 images: each disk
///   record's commit id is that of its last partition's creation;
///   DiskAccessLibrary note 4 in `UpdateDatabase`).
public enum CreatePlanner {
    static let largestSize: UInt64 = 1 << 60

    public static func plan(_ g: EditableGroup, _ request: VolumeRequest) throws(EditError) -> ChangePlan {
        let group = g.group
        let groupName = group.name.display
        let ss = UInt64(group.sectorSize)
        let mib = (1 << 20) / ss
        let type = request.type

        // Chunk: a power of two, whole sectors, at most 1 MiB (so whole-MiB
        // members are whole chunks).
        var chunk: UInt64 = 0
        if type == .striped || type == .raid5 {
            let c = request.chunkBytes
            guard c >= ss, c <= 1 << 20, c & (c - 1) == 0 else {
                throw EditError("chunk size \(c) bytes: must be a power of two from \(ss) bytes to 1 MiB (Windows uses 64 KiB)")
            }
            chunk = c / ss
        } else if request.chunkBytes != 64 * 1024 {
            throw EditError("--chunk applies to striped and RAID-5 volumes only")
        }

        // Name.
        let existing = Set(group.volumes.map { $0.name.display.lowercased() })
        let name: String
        if let n = request.name {
            guard Self.isPlainName(n) else {
                throw EditError("volume name \(LDMName(n).display): use 1 to 24 letters, digits, '-', '_' or '.'")
            }
            guard !existing.contains(n.lowercased()) else {
                throw EditError("disk group \(groupName) already has a volume named \(n)")
            }
            name = n
        } else {
            let prefix = type == .striped ? "Stripe" : type == .raid5 ? "Raid" : "Volume"
            name = prefix + String((1...).first { !existing.contains("\(prefix)\($0)".lowercased()) }!)
        }
        if let hint = request.driveHint {
            guard hint.count == 2, hint.last == ":", let l = hint.first, l.isASCII, l.isUppercase else {
                throw EditError("drive hint \(LDMName(hint).display): give a drive letter as X: (A: to Z:)")
            }
            if let other = group.volumes.first(where: { $0.driveHint?.display == hint }) {
                throw EditError("drive hint \(hint) is already volume \(other.name.display)'s")
            }
        }

        // Disks.
        var disks: [Disk] = []
        for d in request.disks {
            guard let disk = group.disks.first(where: { $0.name.display == d }) else {
                throw EditError("disk \(LDMName(d).display) is not in disk group \(groupName) (its disks: \(group.disks.map(\.name.display).joined(separator: ", ")))")
            }
            guard !disks.contains(where: { $0.id == disk.id }) else {
                throw EditError("disk \(d) is named twice")
            }
            disks.append(disk)
        }
        let needed: (min: Int, max: Int) = switch type {
        case .simple: (1, 1)
        case .spanned: (2, Int.max)
        case .striped: (2, 32)
        case .mirrored: (2, 2)
        case .raid5: (3, 32)
        }
        if !disks.isEmpty, disks.count < needed.min || disks.count > needed.max {
            let want = needed.min == needed.max ? "exactly \(needed.min)" : needed.max == Int.max ? "at least \(needed.min)" : "\(needed.min) to \(needed.max)"
            throw EditError("a \(type.rawValue) volume needs \(want) disk(s); \(disks.count) given")
        }

        guard request.sizeBytes >= ss else { throw EditError("size must be at least one sector") }
        // 1 EiB: far above any disk group (LDM addresses sectors with 64
        // bits, but no group of real disks comes near), and low enough that
        // rounding up to sectors, MiB and columns below cannot overflow.
        guard request.sizeBytes <= Self.largestSize else {
            throw EditError("size \(request.sizeBytes) bytes is larger than any disk group holds (at most 1 EiB)")
        }
        let sizeSectors = (request.sizeBytes + ss - 1) / ss
        let free: (Disk) -> [Region] = { d in d.regions.filter { $0.partitionName == nil } }
        func largest(_ d: Disk) -> UInt64 { free(d).map(\.size).max() ?? 0 }
        func fit(_ d: Disk, _ size: UInt64) -> Region? { free(d).first { $0.size >= size } }
        func mibText(_ sectors: UInt64) -> String { "\(sectors / mib) MiB" + (sectors % mib == 0 ? "" : " and \(sectors % mib) sectors") }

        // Members: (disk, start, size) in column / plex / span order.
        var members: [(disk: Disk, start: UInt64, size: UInt64)] = []
        switch type {
        case .spanned:
            let order = disks.isEmpty ? group.disks : disks
            var remaining = (sizeSectors + mib - 1) / mib * mib
            for d in order where remaining > 0 {
                for r in free(d) where remaining > 0 {
                    let piece = min(remaining, r.size / mib * mib)
                    guard piece > 0 else { continue }
                    members.append((d, r.start, piece))
                    remaining -= piece
                }
            }
            guard remaining == 0 else {
                let total = order.flatMap(free).reduce(0) { $0 + $1.size / mib * mib }
                throw EditError("a spanned volume of \(mibText(sizeSectors)) does not fit: the free regions of \(order.map(\.name.display).joined(separator: ", ")) hold \(mibText(total)) in whole MiB")
            }
            guard Set(members.map(\.disk.id)).count >= 2 else {
                throw EditError("a spanned volume of \(mibText(sizeSectors)) fits on disk \(members[0].disk.name.display) alone: create a simple volume, or name the disks with --disks")
            }
        default:
            let columns = disks.isEmpty ? needed.min : disks.count
            let dataColumns = UInt64(type == .striped ? columns : type == .raid5 ? columns - 1 : 1)
            let perMember = ((sizeSectors + dataColumns - 1) / dataColumns + mib - 1) / mib * mib
            if disks.isEmpty {
                disks = Array(group.disks.filter { fit($0, perMember) != nil }.prefix(columns))
                guard disks.count == columns else {
                    throw EditError("a \(type.rawValue) volume of \(mibText(sizeSectors)) needs \(mibText(perMember)) of contiguous free space on each of \(columns) disk(s); disk group \(groupName) has \(disks.count) such disk(s) (largest free regions: \(group.disks.map { "\($0.name.display) \(mibText(largest($0)))" }.joined(separator: ", ")))")
                }
            }
            for d in disks {
                guard let r = fit(d, perMember) else {
                    throw EditError("disk \(d.name.display) has no free region of \(mibText(perMember)) for a \(type.rawValue) volume of \(mibText(sizeSectors)) (its largest: \(mibText(largest(d))))")
                }
                members.append((d, r.start, perMember))
            }
        }

        // Names of the partitions, lowest free number on each disk.
        var partitionNames = Set(group.volumes.flatMap(\.partitions).map { $0.name.display.lowercased() })
        func nextPartitionName(_ d: Disk) -> String {
            let base = d.name.display
            let n = (1...).first { !partitionNames.contains(String(format2(base, $0)).lowercased()) }!
            let s = format2(base, n)
            partitionNames.insert(s.lowercased())
            return s
        }

        // Ids, Windows' way: committed + 1, + 3, ...
        // Windows keeps every object id below the committed id; a database
        // that does not (ldmctl's own test images) gets ids above its
        // highest, so no id is used twice.
        let committed = g.members[0].committedID
        let componentCount = type == .mirrored ? 2 : 1
        let newCount = 1 + componentCount + members.count
        let existingIDs = group.volumes.flatMap { v in [v.id] + v.components.map(\.id) + v.partitions.map(\.id) }
            + group.disks.map(\.id) + g.members[0].slots.compactMap(\.objectID)
        let base = max(committed, existingIDs.max() ?? 0)
        var nextID = base + 1
        func allocate() -> UInt64 { defer { nextID += 2 }; return nextID }
        let (pending, overflow) = base.addingReportingOverflow(2 * UInt64(newCount))
        guard !overflow else { throw EditError("object ids are exhausted (the highest in use is \(base))") }

        let volumeID = allocate()
        let volumeNumber = (group.volumes.compactMap { g.members[0].payload(ofObject: $0.id).flatMap(RecordFields.volumeNumber) }.max() ?? 4) + 1
        guard volumeNumber <= 255 else { throw EditError("no volume number left (the highest in use is \(volumeNumber - 1))") }
        var extents: [ChangePlan.Extent] = []
        var plexes: [LiveRecords.Plex] = []
        let componentType: UInt8 = type == .striped ? 1 : type == .raid5 ? 3 : 2
        let plexMembers: [[(disk: Disk, start: UInt64, size: UInt64)]] = type == .mirrored ? members.map { [$0] } : [members]
        for (p, list) in plexMembers.enumerated() {
            let componentID = allocate()
            var parts: [LiveRecords.Extent] = []
            var offset: UInt64 = 0
            for (i, m) in list.enumerated() {
                let partName = nextPartitionName(m.disk)
                let striped = type == .striped || type == .raid5
                parts.append(.init(name: partName, objectID: allocate(), diskObjectID: m.disk.id, start: m.start, size: m.size,
                                   volumeOffset: type == .spanned ? offset : 0, column: striped ? UInt64(i) : 0))
                extents.append(.init(disk: m.disk.name, partition: LDMName(partName), start: m.start, size: m.size,
                                     position: type == .mirrored ? p : i))
                offset += m.size
            }
            plexes.append(.init(name: "\(name)-0\(p + 1)", objectID: componentID, type: componentType, chunkSize: chunk,
                                columns: chunk > 0 ? UInt64(list.count) : 0, extents: parts))
        }
        let volumeSize: UInt64 = switch type {
        case .simple, .mirrored: members[0].size
        case .spanned: members.reduce(0) { $0 + $1.size }
        case .striped: members[0].size * UInt64(members.count)
        case .raid5: members[0].size * UInt64(members.count - 1)
        }
        let guid = request.guid ?? randomGUID()
        guard GUID(guid) != nil else { throw EditError("volume GUID \(LDMName(guid).display) is not a GUID") }
        let volume = LiveRecords.Volume(name: name, objectID: volumeID, number: UInt8(volumeNumber),
                                        kind: ImageSpec.VolumeKind(rawValue: type.rawValue)!, guid: guid,
                                        size: volumeSize, driveHint: request.driveHint, plexes: plexes)
        let vblkSize = g.members[0].vblkSize
        var records = LiveRecords.encode(volume, commitID: pending, vblkSize: vblkSize)
        // Changed disk records: same id, the change's commit id.
        var changedDisks: [UInt64] = []
        for m in members where !changedDisks.contains(m.disk.id) { changedDisks.append(m.disk.id) }
        for id in changedDisks {
            guard let payload = g.members[0].payload(ofObject: id) else {
                throw EditError("the record of disk \(group.disk(id: id)!.name.display) was not found in the database")
            }
            records.append(.init(kind: "disk", name: group.disk(id: id)!.name.display, objectID: id,
                                 payload: RecordFields.withCommitID(payload, pending)))
        }
        for r in records where r.fragmentCount(vblkSize: vblkSize) > LiveRecords.maxFragments {
            throw EditError("record \(r.name) needs more than \(LiveRecords.maxFragments) slots")
        }
        let before = g.members[0].committedCounts
        let after = [before[0] + 1, before[1] + UInt32(componentCount), before[2] + UInt32(members.count), before[3]]
        return ChangePlan(action: .create, group: group.name, volume: LDMName(name), type: type, volumeSize: volumeSize,
                          chunkSize: chunk, driveHint: request.driveHint, extents: extents,
                          committedID: committed, pendingID: pending, newRecords: records, retiredIDs: changedDisks,
                          countsBefore: before, countsAfter: after)
    }

    static func isPlainName(_ s: String) -> Bool {
        (1...24).contains(s.utf8.count) && s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E
        }
    }
}

/// `Disk3-01`: the disk's name and a two-digit (or longer) number.
func format2(_ base: String, _ n: Int) -> String { "\(base)-\(n < 10 ? "0" : "")\(n)" }

/// A random (version 4) GUID's text form.
func randomGUID() -> String {
    var g = SystemRandomNumberGenerator()
    var b = (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
    b[6] = b[6] & 0x0F | 0x40
    b[8] = b[8] & 0x3F | 0x80
    let hex = b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    let c = Array(hex)
    return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(c[$0]) }.joined(separator: "-")
}

extension MemberDatabase {
    /// Volume, component, partition and disk counts of the committed configuration.
    var committedCounts: [UInt32] { (0..<4).map { be32(config, 0x85 + 4 * $0) } }
}
