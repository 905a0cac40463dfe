/// The writer's decisions for one disk group: object ids, names, where each
/// partition lies. Public so tests can check what a reader reports against
/// what was written. Sector counts are in the disk's logical sectors, as on
/// disk.
public struct PlannedGroup: Sendable, Equatable {
    public let name: String
    public let guid: String
    public let objectID: UInt64
    public let recordRevision: Int
    public let privheadMinor: Int
    public let vblkSize: Int
    public let sequence: UInt64
    public let disks: [PlannedDisk]
    public let volumes: [PlannedVolume]
    public var windowsFlags = ImageSpec.WindowsFlags()
    public var spareSlots = 0

    public func disk(named name: String) -> PlannedDisk? { disks.first { $0.name == name } }
    public func volume(named name: String) -> PlannedVolume? { volumes.first { $0.name == name } }
}

public struct PlannedDisk: Sendable, Equatable {
    public let name: String
    public let guid: String
    public let objectID: UInt64
    public let fileName: String
    public let partitionStyle: ImageSpec.PartitionStyle
    public let sectorSize: Int
    public let recordRevision: Int
    public let totalSectors: UInt64
    /// The data area (PRIVHEAD logical disk start/size); partition starts
    /// are relative to `dataStart`.
    public let dataStart: UInt64
    public let dataSize: UInt64
    /// The 1 MiB database (PRIVHEAD config start/size).
    public let configStart: UInt64
    public let configSize: UInt64
    /// MBR disk signature (also in the PRIVHEAD).
    public let signature: UInt32
    /// Basic entries as the spec gives them (volume ones resolved when written).
    public var basicEntries: [ImageSpec.BasicEntry] = []

    public var sizeBytes: UInt64 { totalSectors * UInt64(sectorSize) }
}

public struct PlannedVolume: Sendable, Equatable {
    public let name: String
    public let kind: ImageSpec.VolumeKind
    public let guid: String
    public let objectID: UInt64
    /// Volume number byte of the record (1, 2, ... in spec order).
    public let number: UInt8
    public let sectorSize: Int
    /// Size in logical sectors, as in the volume record.
    public let size: UInt64
    /// Chunk size in logical sectors (striped and RAID-5; 0 otherwise).
    public let chunkSize: UInt64
    public let driveHint: String?
    public let components: [PlannedComponent]

    public var sizeBytes: UInt64 { size * UInt64(sectorSize) }
    /// All partitions, components in order, each in column / offset order.
    public var partitions: [PlannedPartition] { components.flatMap(\.partitions) }
}

public struct PlannedComponent: Sendable, Equatable {
    public let name: String
    public let objectID: UInt64
    /// Component type byte: 1 striped, 2 spanned, 3 RAID-5.
    public let type: UInt8
    public let chunkSize: UInt64
    public let columns: UInt64
    public let partitions: [PlannedPartition]
}

public struct PlannedPartition: Sendable, Equatable {
    public let name: String
    public let objectID: UInt64
    public let diskName: String
    public let diskIndex: Int
    /// Start relative to the disk's data area, in logical sectors.
    public let start: UInt64
    public let size: UInt64
    /// Offset of this partition in the volume (spanned), else 0.
    public let volumeOffset: UInt64
    /// Column index (striped, RAID-5), else 0.
    public let column: UInt64
    let role: ContentRole
}

/// How a partition's bytes derive from its volume's logical content; all
/// numbers in 512-byte content sectors.
enum ContentRole: Sendable, Equatable {
    /// Partition sector i holds volume sector `offset + i`.
    case linear(offset: UInt64)
    /// Chunks dealt round-robin over `columns`; this is `column`.
    case stripe(column: UInt64, columns: UInt64, chunk: UInt64)
    /// Windows RAID-5: left-symmetric parity rotation (see RAID5Layout).
    case raid5(column: UInt64, columns: UInt64, chunk: UInt64)
}
