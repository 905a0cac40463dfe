/// Turns a spec into a plan: checks it, derives GUIDs, lays out each disk,
/// places partitions first-fit and numbers every object.
enum ImagePlanner {
    /// Longest vstr: its length is one byte.
    static let maxName = 255
    /// PRIVHEAD (0xF0, 32 bytes with a NUL) and VMDB (0x16, 31 bytes) hold
    /// the group name in fixed fields.
    static let maxGroupName = 31
    /// The LDM database is always 1 MiB.
    static let databaseBytes: UInt64 = 1 << 20
    /// Partitions start on 1 MiB boundaries of the data area.
    static let alignBytes: UInt64 = 1 << 20
    /// Windows numbers objects from here (the 2003 images start at 1025).
    static let firstObjectID: UInt64 = 1025
    /// A GPT partition-entry array: 128 entries of 128 bytes.
    static let gptEntryArrayBytes: UInt64 = 128 * 128

    static func plan(_ spec: ImageSpec) throws(ImageWriterError) -> [PlannedGroup] {
        var fileNames = Set<String>()
        var groupNames = Set<String>()
        var plans: [PlannedGroup] = []
        for group in spec.groups {
            guard groupNames.insert(group.name).inserted else {
                throw .duplicateName(what: "disk group", name: group.name)
            }
            let p = try plan(group)
            for d in p.disks {
                guard fileNames.insert(d.fileName).inserted else {
                    throw .duplicateName(what: "image file", name: d.fileName)
                }
            }
            plans.append(p)
        }
        return plans
    }

    static func checkName(_ name: String, _ what: String, limit: Int = maxName) throws(ImageWriterError) {
        guard !name.isEmpty else { throw .emptyName(what: what) }
        guard name.utf8.count <= limit else { throw .nameTooLong(what: what, name: name, limit: limit) }
    }

    static func guid(_ text: String?, derivedFrom parts: [String], what: String) throws(ImageWriterError) -> String {
        guard let text else { return ImageGUID.derived(parts).text }
        guard let g = ImageGUID(text) else { throw .invalidGUID(what: what, text: text) }
        return g.text
    }

    /// `base` followed by `suffix`, cutting `base` so the whole fits a vstr.
    static func childName(_ base: String, _ suffix: String) -> String {
        var b = Array(base.utf8.prefix(maxName - suffix.utf8.count))
        // Never cut inside a UTF-8 sequence: drop bytes until it decodes intact.
        while !String(decoding: b, as: UTF8.self).utf8.elementsEqual(b) { b.removeLast() }
        return String(decoding: b, as: UTF8.self) + suffix
    }

    static func fileName(group: String, disk: String) -> String {
        let safe = { (s: String) in
            String(s.unicodeScalars.prefix(60).map { c -> Character in
                c.isASCII && (c.properties.isAlphabetic || c.properties.numericType != nil || c == "-" || c == "_")
                    ? Character(c) : "_"
            })
        }
        return "\(safe(group))-\(safe(disk)).img"
    }

    private static func plan(_ g: ImageSpec.Group) throws(ImageWriterError) -> PlannedGroup {
        try checkName(g.name, "disk group", limit: maxGroupName)
        guard g.recordRevision == 3 || g.recordRevision == 4 else {
            throw .unsupported(what: "disk group record revision", value: g.recordRevision)
        }
        guard g.privheadMinor == 11 || g.privheadMinor == 12 else {
            throw .unsupported(what: "PRIVHEAD minor version", value: g.privheadMinor)
        }
        // The kernel reads whole 512-byte sectors of slots; a slot needs room
        // for its 16-byte header and some data.
        guard [64, 128, 256, 512].contains(g.vblkSize) else {
            throw .unsupported(what: "VBLK size", value: g.vblkSize)
        }
        guard !g.disks.isEmpty else { throw .emptyGroup(g.name) }
        let groupGUID = try guid(g.guid, derivedFrom: ["group", g.name], what: "disk group \(g.name)")

        let fixedIDs = g.volumes.compactMap(\.objectID)
        if let dup = fixedIDs.first(where: { id in fixedIDs.filter { $0 == id }.count > 1 }) {
            throw .duplicateObjectID(dup)
        }
        var ids = ObjectIDs(reserved: fixedIDs)
        let groupID = ids.next()

        var disks: [PlannedDisk] = []
        var free: [[(start: UInt64, end: UInt64)]] = []
        var names = Set<String>()
        for d in g.disks {
            try checkName(d.name, "disk")
            guard names.insert(d.name).inserted else { throw .duplicateName(what: "disk", name: d.name) }
            let disk = try layOut(d, group: g, id: ids.next())
            disks.append(disk)
            free.append([(0, disk.dataSize)])
        }
        var partitionCounter = [Int](repeating: 0, count: disks.count)

        var volumes: [PlannedVolume] = []
        var volumeNames = Set<String>()
        for (vi, v) in g.volumes.enumerated() {
            try checkName(v.name, "volume")
            guard volumeNames.insert(v.name).inserted else { throw .duplicateName(what: "volume", name: v.name) }
            if let hint = v.driveHint { try checkName(hint, "drive hint") }
            let volumeGUID = try guid(v.guid, derivedFrom: ["volume", g.name, v.name], what: "volume \(v.name)")
            var members: [Int] = []
            for name in v.disks {
                guard let i = disks.firstIndex(where: { $0.name == name }) else {
                    throw .unknownDisk(volume: v.name, disk: name)
                }
                members.append(i)
            }
            let shape = try VolumeShape(v, members: members, disks: disks)
            // A changed volume keeps the object id of the one it replaces.
            let volumeID = try v.replaces.map { (old: String) throws(ImageWriterError) -> UInt64 in
                guard let id = volumes.first(where: { $0.name == old })?.objectID else {
                    throw .unknownVolume(what: "volume '\(v.name)' replaces", name: old)
                }
                return id
            } ?? v.objectID ?? ids.next()

            var components: [PlannedComponent] = []
            for (ci, pieces) in shape.components.enumerated() {
                let componentID = ids.next()
                var parts: [PlannedPartition] = []
                for piece in pieces {
                    let di = piece.disk
                    let start = try allocate(&free[di], sectors: piece.size,
                                             align: alignBytes / UInt64(disks[di].sectorSize),
                                             volume: v.name, disk: disks[di].name)
                    partitionCounter[di] += 1
                    let n = partitionCounter[di]
                    parts.append(PlannedPartition(
                        name: childName(disks[di].name, n < 10 ? "-0\(n)" : "-\(n)"),
                        objectID: ids.next(), diskName: disks[di].name, diskIndex: di,
                        start: start, size: piece.size, volumeOffset: piece.volumeOffset,
                        column: piece.column, role: piece.role))
                }
                let n = ci + 1
                components.append(PlannedComponent(
                    name: childName(v.name, n < 10 ? "-0\(n)" : "-\(n)"), objectID: componentID,
                    type: shape.componentType, chunkSize: shape.chunk,
                    columns: shape.componentType == 2 ? 0 : UInt64(pieces.count), partitions: parts))
            }
            volumes.append(PlannedVolume(
                name: v.name, kind: v.kind, guid: volumeGUID, objectID: volumeID,
                number: UInt8(truncatingIfNeeded: vi + 1), sectorSize: shape.sectorSize,
                size: shape.size, chunkSize: shape.chunk, driveHint: v.driveHint,
                components: components))
        }
        var planned = PlannedGroup(name: g.name, guid: groupGUID, objectID: groupID,
                                   recordRevision: g.recordRevision, privheadMinor: g.privheadMinor,
                                   vblkSize: g.vblkSize, sequence: g.sequence, disks: disks, volumes: volumes)
        planned.windowsFlags = g.windowsFlags
        planned.spareSlots = g.spareSlots
        return planned
    }

    /// Where the partition table, data area and database go on one disk.
    private static func layOut(_ d: ImageSpec.Disk, group g: ImageSpec.Group,
                               id: UInt64) throws(ImageWriterError) -> PlannedDisk {
        guard d.sectorSize == 512 || d.sectorSize == 4096 else {
            throw .unsupported(what: "sector size", value: d.sectorSize)
        }
        guard d.recordRevision == 3 || d.recordRevision == 4 else {
            throw .unsupported(what: "disk record revision", value: d.recordRevision)
        }
        let ss = UInt64(d.sectorSize)
        guard d.sizeBytes % ss == 0 else { throw .notMultiple(what: "size of disk \(d.name)", value: d.sizeBytes, of: ss) }
        let total = d.sizeBytes / ss
        let db = databaseBytes / ss
        let align = alignBytes / ss
        let dataStart: UInt64, dataEnd: UInt64, configStart: UInt64
        switch d.partitionStyle {
        case .mbr:
            // Database in the last 1 MiB; data area from sector 63 or 1 MiB
            // up to it. The first PRIVHEAD sits at sector 6, before the data.
            let start = d.dataStart ?? ((d.sectorSize == 512 && g.privheadMinor == 11) ? 63 : align)
            guard start > 6 else { throw .unsupported(what: "data start sector", value: Int(start)) }
            guard total > db + start + align else { throw .diskTooSmall(disk: d.name, sizeBytes: d.sizeBytes) }
            configStart = total - db
            dataStart = start
            dataEnd = configStart
        case .gpt:
            // 1 MiB LDM metadata partition (the database) at 1 MiB, a 1 MiB
            // Microsoft reserved partition, then the LDM data partition up to
            // the last usable LBA before the backup GPT.
            let entries = gptEntryArrayBytes / ss
            guard total > 4 * align + entries + 2 else { throw .diskTooSmall(disk: d.name, sizeBytes: d.sizeBytes) }
            configStart = align
            dataStart = 3 * align
            guard d.trailingBytes % ss == 0, d.trailingBytes / ss < total / 2 else {
                throw .notMultiple(what: "trailing bytes of disk \(d.name)", value: d.trailingBytes, of: ss)
            }
            dataEnd = total - 1 - entries - d.trailingBytes / ss  // one past the last usable LBA, less the tail
        }
        let guidText = try guid(d.guid, derivedFrom: ["disk", g.name, d.name], what: "disk \(d.name)")
        let sig = UInt32(truncatingIfNeeded: ImageHash.fnv1a(["signature", guidText]))
        var planned = PlannedDisk(
            name: d.name, guid: guidText, objectID: id,
            fileName: d.fileName ?? fileName(group: g.name, disk: d.name),
            partitionStyle: d.partitionStyle, sectorSize: d.sectorSize,
            recordRevision: d.recordRevision, totalSectors: total,
            dataStart: dataStart, dataSize: dataEnd - dataStart,
            configStart: configStart, configSize: db, signature: sig == 0 ? 1 : sig)
        guard d.basicEntries.count <= (d.partitionStyle == .mbr ? 3 : PartitionTableWriter.entryCount - 3) else {
            throw .unsupported(what: "basic entries on disk \(d.name)", value: d.basicEntries.count)
        }
        planned.basicEntries = d.basicEntries
        return planned
    }

    /// First fit: the lowest aligned start in a free extent that holds `sectors`.
    private static func allocate(_ free: inout [(start: UInt64, end: UInt64)], sectors: UInt64, align: UInt64,
                                 volume: String, disk: String) throws(ImageWriterError) -> UInt64 {
        for (i, e) in free.enumerated() {
            let start = (e.start + align - 1) / align * align
            guard start < e.end, e.end - start >= sectors else { continue }
            var pieces: [(start: UInt64, end: UInt64)] = []
            if start > e.start { pieces.append((e.start, start)) }
            if start + sectors < e.end { pieces.append((start + sectors, e.end)) }
            free.replaceSubrange(i...i, with: pieces)
            return start
        }
        throw .noSpace(volume: volume, disk: disk, sectors: sectors)
    }
}

/// Sequential object ids that skip the ones a spec fixed.
struct ObjectIDs {
    private var next_ = ImagePlanner.firstObjectID
    private let reserved: Set<UInt64>

    init(reserved: [UInt64]) { self.reserved = Set(reserved) }

    mutating func next() -> UInt64 {
        while reserved.contains(next_) { next_ += 1 }
        defer { next_ += 1 }
        return next_
    }
}
