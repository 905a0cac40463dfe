/// The configuration records a VMDB holds, one value type per kind.
/// Object ids are what records use to refer to each other.
public struct DiskGroupRecord: Equatable, Sendable {
    public var id: UInt64
    public var name: LDMName
    public var guid: GUID?
    public var revision: UInt8
}

public struct DiskRecord: Equatable, Sendable {
    public var id: UInt64
    public var name: LDMName
    public var guid: GUID
    public var revision: UInt8
    public var flags: DiskFlags = []
}

public struct VolumeRecord: Equatable, Sendable {
    public var id: UInt64
    public var name: LDMName
    /// `gen` or `raid5`, as text.
    public var typeName: LDMName
    /// The read policy: 1 round-robin, 2 preferred plex, 3 select (gen
    /// volumes), 4 RAID (raid5 volumes).
    public var typeCode: UInt8
    public var state: LDMName
    public var componentCount: UInt64
    /// Logical sectors.
    public var size: UInt64
    public var partitionType: UInt8
    public var guid: GUID?
    public var driveHint: LDMName?
    public var flags: VolumeFlags = []
}

public struct ComponentRecord: Equatable, Sendable {
    public enum Kind: UInt8, Sendable {
        case striped = 1
        case spanned = 2
        case raid5 = 3
    }
    public var id: UInt64
    public var name: LDMName
    public var kind: Kind
    public var partitionCount: UInt64
    public var parentID: UInt64
    /// Sectors; 0 when the record has no stripe fields.
    public var chunkSize: UInt64
    public var columns: UInt64
    public var flags: ComponentFlags = []
}

public struct PartitionRecord: Equatable, Sendable {
    public var id: UInt64
    public var name: LDMName
    /// Logical sectors from the disk's logical disk start.
    public var start: UInt64
    public var volumeOffset: UInt64
    public var size: UInt64
    public var parentID: UInt64
    public var diskID: UInt64
    /// Column index within a striped or RAID-5 component (0 when absent).
    public var column: UInt64
    public var flags: ExtentFlags = []
}

public enum VBLKRecord: Equatable, Sendable {
    case diskGroup(DiskGroupRecord)
    case disk(DiskRecord)
    case volume(VolumeRecord)
    case component(ComponentRecord)
    case partition(PartitionRecord)

    public var id: UInt64 {
        switch self {
        case .diskGroup(let r): r.id
        case .disk(let r): r.id
        case .volume(let r): r.id
        case .component(let r): r.id
        case .partition(let r): r.id
        }
    }
}
