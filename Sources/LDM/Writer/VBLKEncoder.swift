/// Encodes a planned group as VBLK records (disk group, disks, then each
/// volume with its components and partitions) and cuts them into slots.
enum VBLKEncoder {
    /// Record kinds: the low nibble of the record's type byte.
    enum Kind: String, Sendable {
        case volume, component, partition, disk, diskGroup
    }

    struct Record {
        let kind: Kind
        let name: String
        /// Bytes from record offset 0x10: status, flags, type, body size, body.
        let payload: [UInt8]
    }

    /// Volume state text, NUL padded to 14 bytes in the record.
    static let activeState = "ACTIVE"
    /// Partition type byte of the volume record: 0x07 (NTFS/IFS).
    static let partitionTypeNTFS: UInt8 = 0x07
    /// The kernel and libldm accept at most 4 fragments per record.
    static let maxFragments = 4

    static func records(for g: PlannedGroup) -> [Record] {
        var out = [diskGroup(g)]
        out += g.disks.map { disk($0, group: g) }
        for v in g.volumes {
            out.append(volume(v, group: g))
            for (plex, c) in v.components.enumerated() {
                let flags = g.windowsFlags.components[v.name].map { f in
                    g.windowsFlags.componentPlexes[v.name].map { $0.contains(plex) ? f : 0 } ?? f
                } ?? 0
                out.append(component(c, volume: v, group: g, flags: flags))
                out += c.partitions.map { partition($0, component: c, group: g, extentFlags: g.windowsFlags.extents["\(v.name)/\($0.diskName)"] ?? 0) }
            }
        }
        return out
    }

    private static func record(_ kind: Kind, _ name: String, type: UInt8, flags: UInt8,
                               _ body: RecordBodyBuilder) -> Record {
        var p = ImageBuffer(count: 8)
        p.be16(0, at: 0)  // status
        p.putByte(flags, at: 2)
        p.putByte(type, at: 3)
        p.be32(UInt32(body.bytes.count), at: 4)  // exactly the fields present
        return Record(kind: kind, name: name, payload: p.bytes + body.bytes)
    }

    /// The 12 trailing bytes of revision-3 group and disk records; Windows
    /// ends them with a commit id.
    private static func tail12(_ seq: UInt64) -> [UInt8] {
        var b = ImageBuffer(count: 12)
        b.be32(UInt32(truncatingIfNeeded: seq), at: 8)
        return b.bytes
    }

    static func diskGroup(_ g: PlannedGroup) -> Record {
        var b = RecordBodyBuilder()
        b.vnum(g.objectID)
        b.vstr(g.name)
        let guid = ImageGUID(g.guid)!
        if g.recordRevision == 3 {
            // Windows 2003 writes id1/id2 (flag 0x08) as 0xFFFFFFFF each.
            b.vstr(guid.text)
            b.raw(tail12(g.sequence))
            b.vstr([0xFF, 0xFF, 0xFF, 0xFF])
            b.vstr([0xFF, 0xFF, 0xFF, 0xFF])
            return record(.diskGroup, g.name, type: 0x35, flags: 0x08, b)
        }
        b.raw(guid.bytes)  // group GUID
        b.raw(guid.bytes)  // disk set GUID: the writer uses the group GUID
        b.zeros(12)
        return record(.diskGroup, g.name, type: 0x45, flags: 0, b)
    }

    static func disk(_ d: PlannedDisk, group g: PlannedGroup) -> Record {
        var b = RecordBodyBuilder()
        b.vnum(d.objectID)
        b.vstr(d.name)
        let guid = ImageGUID(d.guid)!
        if d.recordRevision == 3 {
            b.vstr(guid.text)
            // Alternative name: Windows keeps a device path here.
            b.vstr("LDMCTL\\DISK\\\(String(d.signature, radix: 16, uppercase: true))")
            b.be32(g.windowsFlags.disks[d.name] ?? 0)
            b.be64(g.sequence)  // commit id
            return record(.disk, d.name, type: 0x34, flags: 0, b)
        }
        b.raw(guid.bytes)
        b.zeros(16)  // alternative GUID
        b.vstr("")   // last device name
        b.be32(g.windowsFlags.disks[d.name] ?? 0)
        b.zeros(8)   // commit id
        return record(.disk, d.name, type: 0x44, flags: 0, b)
    }

    static func volume(_ v: PlannedVolume, group g: PlannedGroup) -> Record {
        let raid5 = v.kind == .raid5
        var b = RecordBodyBuilder()
        b.vnum(v.objectID)
        b.vstr(v.name)
        b.vstr(raid5 ? "raid5" : "gen")
        b.vstr("")  // unknown; empty on the 2003 images
        var state = ImageBuffer(count: 14)
        state.putText(g.windowsFlags.volumeStates[v.name] ?? activeState, at: 0, limit: 14)
        b.raw(state.bytes)
        b.byte(g.windowsFlags.readPolicies[v.name] ?? (raid5 ? 4 : 3))  // read policy: 3 select, 4 RAID
        b.vnum(UInt64(v.number))  // volume number
        // Volume flags as on the 2003 images, plus any a test asks for.
        b.be32((raid5 ? 0x13 : 0x11) | (g.windowsFlags.volumes[v.name] ?? 0))
        b.vnum(UInt64(v.components.count))
        b.be64(g.sequence)  // commit id
        b.be64(g.sequence)  // id
        b.vnum(v.size)
        b.zeros(4)
        b.byte(partitionTypeNTFS)
        b.raw(ImageGUID(v.guid)!.bytes)
        var flags: UInt8 = 0
        if let hint = v.driveHint {
            b.vstr(hint)
            flags |= 0x02
        }
        return record(.volume, v.name, type: 0x51, flags: flags, b)
    }

    static func component(_ c: PlannedComponent, volume v: PlannedVolume, group g: PlannedGroup, flags componentFlags: UInt32) -> Record {
        var b = RecordBodyBuilder()
        b.vnum(c.objectID)
        b.vstr(c.name)
        b.vstr(activeState)
        b.byte(c.type)
        b.be32(componentFlags)
        b.vnum(UInt64(c.partitions.count))
        b.be64(g.sequence)  // log commit id
        b.zeros(8)
        b.vnum(v.objectID)
        b.zeros(1)
        var flags: UInt8 = 0
        if c.type != 2 {  // striped and RAID-5 carry chunk size and columns
            b.vnum(c.chunkSize)
            b.vnum(c.columns)
            flags |= 0x10
        }
        return record(.component, c.name, type: 0x32, flags: flags, b)
    }

    static func partition(_ p: PlannedPartition, component c: PlannedComponent, group g: PlannedGroup, extentFlags: UInt32) -> Record {
        var b = RecordBodyBuilder()
        b.vnum(p.objectID)
        b.vstr(p.name)
        b.be32(extentFlags)
        b.be64(g.sequence)  // commit id
        b.be64(p.start)
        b.be64(p.volumeOffset)
        b.vnum(p.size)
        b.vnum(c.objectID)
        b.vnum(g.disks[p.diskIndex].objectID)
        var flags: UInt8 = 0
        if p.column != 0 {  // Windows leaves the index out for column 0
            b.vnum(p.column)
            flags |= 0x08
        }
        return record(.partition, p.name, type: 0x33, flags: flags, b)
    }

    /// Number of slots a record needs: its payload split in (slot - 16)-byte parts.
    static func fragmentCount(_ r: Record, vblkSize: Int) -> Int {
        let data = vblkSize - 16
        return (r.payload.count + data - 1) / data
    }

    /// One VBLK slot: header (magic, sequence, record id, fragment index,
    /// fragment count) and that fragment's share of the payload.
    static func slot(_ r: Record?, sequence: UInt32, recordID: UInt32, fragment: Int,
                     of count: Int, vblkSize: Int) -> [UInt8] {
        var s = ImageBuffer(count: vblkSize)
        s.put(Array("VBLK".utf8), at: 0)
        s.be32(sequence, at: 4)
        guard let r, count > 0 else { return s.bytes }  // empty slot: id 0, count 0
        s.be32(recordID, at: 8)
        s.be16(UInt16(fragment), at: 12)
        s.be16(UInt16(count), at: 14)
        let data = vblkSize - 16
        let from = fragment * data
        s.put(r.payload[from..<min(from + data, r.payload.count)], at: 16)
        return s.bytes
    }
}
