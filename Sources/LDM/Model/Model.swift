/// The configuration of dynamic disks as a user sees it: groups of disks,
/// and volumes made of partitions on those disks.

public enum VolumeType: String, Sendable, CaseIterable {
    case simple, spanned, striped, mirrored, raid5
}

/// Whether a volume can be read with the disks that are present.
public enum VolumeState: String, Sendable {
    /// Every member is present.
    case complete
    /// Readable, without redundancy: a mirror with at least one whole plex,
    /// or a RAID-5 missing exactly one member.
    case degraded
    /// Not readable.
    case incomplete
}

/// Where a present disk is and how it is laid out.
public struct DiskLocation: Equatable, Sendable {
    /// Device or image path exactly as given (escaped only when printed).
    public var device: DevicePath
    public var sectorSize: Int
    public var partitionStyle: PartitionTable.Style
    /// Logical sectors.
    public var dataStart: UInt64
    public var dataSize: UInt64
    public var databaseStart: UInt64
    public var databaseSize: UInt64
}

public struct Partition: Equatable, Sendable {
    public var id: UInt64
    public var name: LDMName
    public var diskID: UInt64
    /// Logical sectors from the disk's data start.
    public var start: UInt64
    public var size: UInt64
    /// Logical sectors from the start of its component.
    public var volumeOffset: UInt64
    public var column: UInt64
    /// Why Windows considers this member out of date, if it does: then it
    /// is never read, as if its disk were missing.
    public var outOfDate: String? = nil
}

/// A component is a plex of a mirror, or the single component of any other
/// volume. Partitions are in volume order (spanned: by volume offset;
/// striped and RAID-5: by column).
public struct Component: Equatable, Sendable {
    public var id: UInt64
    public var name: LDMName
    public var partitions: [Partition]
}

public struct Volume: Equatable, Sendable {
    public var id: UInt64
    public var name: LDMName
    public var guid: GUID?
    public var type: VolumeType
    /// Logical sectors.
    public var size: UInt64
    /// Logical sectors; 0 for volumes without stripes.
    public var chunkSize: UInt64
    public var driveHint: LDMName?
    public var partitionType: UInt8
    public var components: [Component]
    public var state: VolumeState
    public var flags: VolumeFlags = []
    /// The record's state text ("ACTIVE" on every volume seen).
    public var recordState: LDMName = LDMName(Array("ACTIVE".utf8))

    public var partitions: [Partition] { components.flatMap(\.partitions) }

    public init(id: UInt64, name: LDMName, guid: GUID?, type: VolumeType, size: UInt64, chunkSize: UInt64,
                driveHint: LDMName?, partitionType: UInt8, components: [Component], state: VolumeState) {
        self.id = id; self.name = name; self.guid = guid; self.type = type; self.size = size
        self.chunkSize = chunkSize; self.driveHint = driveHint; self.partitionType = partitionType
        self.components = components; self.state = state
    }
}

/// A piece of a disk's data area: used by a partition, or free.
public struct Region: Equatable, Sendable {
    public var start: UInt64
    public var size: UInt64
    /// nil when free.
    public var partitionName: LDMName?
    public var volumeName: LDMName?
}

public struct Disk: Equatable, Sendable {
    public var id: UInt64
    public var name: LDMName
    public var guid: GUID
    /// nil when the disk is missing.
    public var location: DiskLocation?
    /// Used and free pieces of the data area, in order (present disks only;
    /// for a missing disk, only the used pieces are known).
    public var regions: [Region]
    public var flags: DiskFlags = []

    public var isPresent: Bool { location != nil }
}

public struct DiskGroup: Equatable, Sendable {
    public var guid: GUID
    public var name: LDMName
    /// 0 for the first set of disks carrying this GUID; 1, 2, ... for
    /// further sets (clones) found at the same time.
    public var cloneIndex: Int
    /// 0 unless another group (another GUID) found at the same time has
    /// the same device-safe name: then 1, 2, ... in GUID order, so the
    /// device names of both stay unique.
    public var sameNameIndex: Int = 0
    public var disks: [Disk]
    public var volumes: [Volume]
    /// Committed sequence of the database copy used, and the disk it came from.
    public var committedSequence: UInt64
    public var databaseSource: DevicePath
    public var notes: [String]
    /// The PRIVHEAD flags of the disk the configuration came from: a group
    /// Windows marks not to be imported automatically is not activated by
    /// hotplug or at boot.
    public var privateHeaderFlags: PrivateHeaderFlags
    /// All disks are 512 or all 4096 bytes per sector.
    public var sectorSize: Int

    public init(guid: GUID, name: LDMName, cloneIndex: Int, disks: [Disk], volumes: [Volume],
                committedSequence: UInt64, databaseSource: DevicePath, notes: [String], sectorSize: Int,
                privateHeaderFlags: PrivateHeaderFlags = []) {
        self.privateHeaderFlags = privateHeaderFlags
        self.guid = guid; self.name = name; self.cloneIndex = cloneIndex; self.disks = disks
        self.volumes = volumes; self.committedSequence = committedSequence
        self.databaseSource = databaseSource; self.notes = notes; self.sectorSize = sectorSize
    }

    public var presentDiskCount: Int { disks.filter(\.isPresent).count }
    public func disk(id: UInt64) -> Disk? { disks.first { $0.id == id } }
}
