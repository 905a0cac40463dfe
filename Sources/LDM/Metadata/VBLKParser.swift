/// Decodes one reassembled VBLK record (16-byte slot header, then the
/// record header at 0x10 and the body at 0x18) into a typed record.
enum VBLKParser {
    /// Record kinds, the low nibble of the type byte at 0x13.
    enum Kind: UInt8 {
        case blank = 0, volume = 1, component = 2, partition = 3, disk = 4, diskGroup = 5
    }

    // Flag bits of the record header (0x12) that announce optional fields.
    static let flagStripe: UInt8 = 0x10        // component: chunk size, columns
    static let flagPartitionIndex: UInt8 = 0x08 // partition: column index
    static let flagGroupIDs: UInt8 = 0x08       // disk group: id1, id2
    static let flagVolumeID1: UInt8 = 0x08
    static let flagVolumeID2: UInt8 = 0x20
    static let flagVolumeSize2: UInt8 = 0x80
    static let flagVolumeDrive: UInt8 = 0x02

    static let bodyOffset = 0x18

    struct Failure: Error {
        var field: String?
        var problem: String
        var unsupported = false
    }

    /// nil for a blank record.
    static func parse(_ record: [UInt8]) throws -> VBLKRecord? {
        var c = ByteCursor(record)
        do {
            try c.seek(to: 0x12)
            let flags = try c.u8()
            let type = try c.u8()
            let declared = Int(try c.u32())
            let revision = type >> 4
            guard let kind = Kind(rawValue: type & 0x0F) else {
                throw Failure(field: "type", problem: "unknown record type 0x\(hex2(type))")
            }
            if kind == .blank { return nil }
            guard declared <= record.count - bodyOffset else {
                throw Failure(field: "size", problem: "body of \(declared) bytes exceeds the \(record.count - bodyOffset) bytes of the record")
            }
            let result: VBLKRecord
            switch kind {
            case .blank: return nil
            case .volume: result = .volume(try volume(&c, revision: revision, flags: flags))
            case .component: result = .component(try component(&c, revision: revision, flags: flags))
            case .partition: result = .partition(try partition(&c, revision: revision, flags: flags))
            case .disk: result = .disk(try disk(&c, revision: revision))
            case .diskGroup: result = .diskGroup(try diskGroup(&c, revision: revision, flags: flags))
            }
            // Fields must fit in the size the record declares for itself.
            guard c.offset - bodyOffset <= declared else {
                throw Failure(field: "size", problem: "fields take \(c.offset - bodyOffset) bytes, record declares \(declared)")
            }
            return result
        } catch let error as ByteCursor.CursorError {
            throw Failure(field: nil, problem: "truncated record: \(error)")
        }
    }

    static func requireRevision(_ revision: UInt8, _ allowed: Set<UInt8>, _ what: String) throws {
        guard allowed.contains(revision) else {
            throw Failure(field: "revision", problem: "\(what) record revision \(revision) is not supported", unsupported: true)
        }
    }

    static func volume(_ c: inout ByteCursor, revision: UInt8, flags: UInt8) throws -> VolumeRecord {
        try requireRevision(revision, [5], "volume")
        try c.seek(to: bodyOffset)
        let id = try c.varInt()
        let name = try c.varBytes()
        let typeName = try c.varBytes()
        _ = try c.varBytes()            // unknown; empty or "8000000000000000"
        let state = Array(try c.bytes(14)).prefix { $0 != 0 }
        // The read policy: 1 round-robin, 2 preferred plex, 3 select, 4 RAID.
        let typeCode = try c.u8()
        guard (1...4).contains(typeCode) else {
            throw Failure(field: "volume read policy", problem: "read policy \(typeCode) is not 1 (round-robin), 2 (preferred plex), 3 (select) or 4 (RAID)")
        }
        _ = try c.varInt()              // volume number
        let volumeFlags = try c.u32()
        let components = try c.varInt()
        try c.skip(8 + 8)               // commit id, id
        let size = try c.varInt()
        try c.skip(4)
        let partitionType = try c.u8()
        let guid = GUID(binary: try c.bytes(16))
        if flags & flagVolumeID1 != 0 { _ = try c.varBytes() }
        if flags & flagVolumeID2 != 0 { _ = try c.varBytes() }
        if flags & flagVolumeSize2 != 0 { _ = try c.varInt() }
        var hint: LDMName?
        if flags & flagVolumeDrive != 0 { hint = LDMName(try c.varBytes()) }
        return VolumeRecord(id: id, name: LDMName(name), typeName: LDMName(typeName), typeCode: typeCode,
                            state: LDMName(Array(state)), componentCount: components, size: size,
                            partitionType: partitionType, guid: guid, driveHint: hint,
                            flags: VolumeFlags(rawValue: volumeFlags))
    }

    static func component(_ c: inout ByteCursor, revision: UInt8, flags: UInt8) throws -> ComponentRecord {
        try requireRevision(revision, [3], "component")
        try c.seek(to: bodyOffset)
        let id = try c.varInt()
        let name = try c.varBytes()
        _ = try c.varBytes()            // state
        let code = try c.u8()
        guard let kind = ComponentRecord.Kind(rawValue: code) else {
            throw Failure(field: "component type", problem: "type \(code) is not 1 (striped), 2 (spanned) or 3 (RAID-5)")
        }
        let componentFlags = try c.u32()
        let parts = try c.varInt()
        try c.skip(8 + 8)               // log commit id, zeroes
        let parent = try c.varInt()
        try c.skip(1)
        var chunk: UInt64 = 0, columns: UInt64 = 0
        if flags & flagStripe != 0 {
            chunk = try c.varInt()
            columns = try c.varInt()
        }
        return ComponentRecord(id: id, name: LDMName(name), kind: kind, partitionCount: parts,
                               parentID: parent, chunkSize: chunk, columns: columns,
                               flags: ComponentFlags(rawValue: componentFlags))
    }

    static func partition(_ c: inout ByteCursor, revision: UInt8, flags: UInt8) throws -> PartitionRecord {
        try requireRevision(revision, [3], "partition")
        try c.seek(to: bodyOffset)
        let id = try c.varInt()
        let name = try c.varBytes()
        let extentFlags = try c.u32()
        try c.skip(8)                   // commit id
        let start = try c.u64()
        let offset = try c.u64()
        let size = try c.varInt()
        let parent = try c.varInt()
        let disk = try c.varInt()
        var column: UInt64 = 0
        if flags & flagPartitionIndex != 0 { column = try c.varInt() }
        return PartitionRecord(id: id, name: LDMName(name), start: start, volumeOffset: offset, size: size,
                               parentID: parent, diskID: disk, column: column,
                               flags: ExtentFlags(rawValue: extentFlags))
    }

    static func disk(_ c: inout ByteCursor, revision: UInt8) throws -> DiskRecord {
        try requireRevision(revision, [3, 4], "disk")
        try c.seek(to: bodyOffset)
        let id = try c.varInt()
        let name = try c.varBytes()
        let guid: GUID?
        if revision == 3 {
            let text = try c.varBytes()
            guid = GUID(text: text)
            _ = try c.varBytes()        // alternative name
        } else {
            guid = GUID(binary: try c.bytes(16))
            try c.skip(16)              // alternative GUID
            _ = try c.varBytes()        // last device name
        }
        let diskFlags = try c.u32()
        try c.skip(8)                   // commit id
        guard let guid else { throw Failure(field: "disk GUID", problem: "not a GUID") }
        return DiskRecord(id: id, name: LDMName(name), guid: guid, revision: revision, flags: DiskFlags(rawValue: diskFlags))
    }

    static func diskGroup(_ c: inout ByteCursor, revision: UInt8, flags: UInt8) throws -> DiskGroupRecord {
        try requireRevision(revision, [3, 4], "disk group")
        try c.seek(to: bodyOffset)
        let id = try c.varInt()
        let name = try c.varBytes()
        let guid: GUID?
        if revision == 3 {
            guid = GUID(text: try c.varBytes())
            try c.skip(12)
        } else {
            guid = GUID(binary: try c.bytes(16))
            try c.skip(28)
        }
        if flags & flagGroupIDs != 0 {
            _ = try c.varBytes()
            _ = try c.varBytes()
        }
        return DiskGroupRecord(id: id, name: LDMName(name), guid: guid, revision: revision)
    }
}
