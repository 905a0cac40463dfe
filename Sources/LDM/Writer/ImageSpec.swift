/// What the image writer should produce: disk groups, their disks and their
/// volumes. Sizes are in bytes (volume content is addressed in 512-byte
/// units whatever the disk's sector size); the writer converts them to the
/// disk's logical sectors, which is what every on-disk LDM field holds.
public struct ImageSpec: Sendable, Equatable, Codable {
    public var groups: [Group]

    public init(groups: [Group]) { self.groups = groups }

    public static let KiB: UInt64 = 1 << 10
    public static let MiB: UInt64 = 1 << 20

    public enum PartitionStyle: String, Sendable, Codable, CaseIterable {
        case mbr, gpt
    }

    public enum VolumeKind: String, Sendable, Codable, CaseIterable {
        case simple, spanned, striped, mirrored, raid5
    }

    /// One disk group: one LDM database, written identically on each disk.
    public struct Group: Sendable, Equatable, Codable {
        /// At most 31 bytes: the PRIVHEAD and VMDB keep it in fixed fields.
        public var name: String
        /// Canonical GUID text; derived from the name when nil.
        public var guid: String?
        /// Disk-group VBLK revision: 3 (ASCII GUID, Windows 2000-2003) or 4
        /// (binary GUIDs, Vista and later).
        public var recordRevision: Int
        /// PRIVHEAD minor version: 11 (Windows 2000-2003) or 12 (Vista and later).
        public var privheadMinor: Int
        /// Bytes per VBLK slot; a divisor of 512 (the kernel reads the
        /// database 512 bytes at a time). Smaller slots split records into
        /// more fragments.
        public var vblkSize: Int
        /// The committed (and pending) sequence number in every VMDB copy.
        public var sequence: UInt64
        public var disks: [Disk]
        public var volumes: [Volume]
        /// States Windows records on objects; all clear by default.
        public var windowsFlags = WindowsFlags()
        /// Empty VBLK slots after the records (Windows makes every slot
        /// of the config region one, 5924 on the 2003 images); room for
        /// `ldmctl create-volume` to add records.
        public var spareSlots = 0

        public init(name: String, guid: String? = nil, recordRevision: Int = 3,
                    privheadMinor: Int = 11, vblkSize: Int = 128, sequence: UInt64 = 0x400,
                    disks: [Disk], volumes: [Volume]) {
            self.name = name
            self.guid = guid
            self.recordRevision = recordRevision
            self.privheadMinor = privheadMinor
            self.vblkSize = vblkSize
            self.sequence = sequence
            self.disks = disks
            self.volumes = volumes
        }
    }

    /// Flag words and read policies as Windows sets them (docs/FORMAT.md,
    /// "States and flags"), so tests can write disks Windows left detached,
    /// members marked out of date, boot volumes and groups not to be
    /// imported automatically. Keys are disk and volume names.
    public struct WindowsFlags: Sendable, Equatable, Codable {
        /// PRIVHEAD 0x113 on every disk: 0x01 shared, 0x02 no auto-import.
        public var privateHeader: UInt32 = 0
        /// Disk record flags: 0x04 failing, 0x100 removed, 0x200 detached.
        public var disks: [String: UInt32] = [:]
        /// Volume flags ORed into the writer's usual ones: 0x200000 boot,
        /// 0x400000 system, 0x800000 retain partition.
        public var volumes: [String: UInt32] = [:]
        /// Component flags by volume, for every plex whose index is in
        /// `componentPlexes` (all plexes when absent): 0x02 recover, 0x04 I/O fail.
        public var components: [String: UInt32] = [:]
        public var componentPlexes: [String: [Int]] = [:]
        /// Extent flags of a volume's partitions on one disk, keyed
        /// "volume/disk": 0x08 recover.
        public var extents: [String: UInt32] = [:]
        /// Read policy byte by volume (1 round-robin, 2 preferred plex,
        /// 3 select, 4 RAID); the writer's own is 3 or 4.
        public var readPolicies: [String: UInt8] = [:]
        /// Volume state text by volume (Windows writes ACTIVE; SYNC while
        /// it resynchronises a mirror or RAID-5).
        public var volumeStates: [String: String] = [:]

        public init() {}
    }

    public struct Disk: Sendable, Equatable, Codable {
        /// The disk's name in the database (Windows: `Disk1`, `Disk2`, ...).
        public var name: String
        /// Canonical GUID text; derived from group and disk name when nil.
        public var guid: String?
        /// Whole-image size in bytes; a multiple of `sectorSize`.
        public var sizeBytes: UInt64
        public var partitionStyle: PartitionStyle
        /// Logical sector size: 512 or 4096.
        public var sectorSize: Int
        /// Disk VBLK revision: 3 (ASCII GUID) or 4 (binary GUID).
        public var recordRevision: Int
        /// MBR disks only: first sector of the data area. Default 63 for
        /// 512-byte disks with PRIVHEAD 2.11 (as Windows 2003 did), else 1 MiB.
        public var dataStart: UInt64?
        /// Image file name; default `<group>-<disk>.img`, made file-name safe.
        public var fileName: String?
        /// Basic partition entries beside the LDM ones, as real machines
        /// have them: an OEM or recovery partition before the 0x42 entry, a
        /// retained entry over a boot volume, extra GPT partitions.
        public var basicEntries: [BasicEntry] = []
        /// GPT only: bytes kept out of the LDM data partition at the end of
        /// the disk, so a basic partition can follow it.
        public var trailingBytes: UInt64 = 0

        public init(name: String, guid: String? = nil, sizeBytes: UInt64,
                    partitionStyle: PartitionStyle = .mbr, sectorSize: Int = 512,
                    recordRevision: Int = 3, dataStart: UInt64? = nil, fileName: String? = nil) {
            self.name = name
            self.guid = guid
            self.sizeBytes = sizeBytes
            self.partitionStyle = partitionStyle
            self.sectorSize = sectorSize
            self.recordRevision = recordRevision
            self.dataStart = dataStart
            self.fileName = fileName
        }
    }

    /// One basic (non-LDM) partition entry.
    public struct BasicEntry: Sendable, Equatable, Codable {
        /// MBR partition type (0x07 NTFS, 0x12 or 0x27 OEM/recovery, 0xDE ...).
        public var mbrType: UInt8
        /// GPT partition type GUID (default: Microsoft basic data).
        public var gptType: String
        /// Where it lies, in bytes from the start of the disk; ignored when
        /// `volume` is set.
        public var startBytes: UInt64
        public var sizeBytes: UInt64
        /// Cover exactly this volume's partition on this disk, as Windows'
        /// retained entry over a boot or system volume does.
        public var volume: String?
        /// Listed after the LDM entries (MBR entry order, GPT array order).
        public var afterLDM: Bool

        public init(mbrType: UInt8 = 0x07, gptType: String = "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7",
                    startBytes: UInt64 = 0, sizeBytes: UInt64 = 0, volume: String? = nil, afterLDM: Bool = false) {
            self.mbrType = mbrType; self.gptType = gptType; self.startBytes = startBytes
            self.sizeBytes = sizeBytes; self.volume = volume; self.afterLDM = afterLDM
        }
    }

    public struct Volume: Sendable, Equatable, Codable {
        public var name: String
        public var kind: VolumeKind
        /// The volume's size in bytes (what the user sees).
        public var sizeBytes: UInt64
        /// Member disks by name: the span order, column order (column index
        /// 0, 1, ...) or plex order.
        public var disks: [String]
        /// Spanned only: bytes on each disk (same count as `disks`, summing
        /// to `sizeBytes`). Default: an even split, the remainder on the last.
        public var spanBytes: [UInt64]?
        /// Striped and RAID-5 chunk (stripe unit); Windows uses 64 KiB.
        public var chunkBytes: UInt64
        /// Drive letter hint such as `E:`; none when nil.
        public var driveHint: String?
        /// Object id of the volume record; assigned when nil.
        public var objectID: UInt64?
        /// Volume GUID text; derived from group and volume name when nil.
        public var guid: String?
        /// The new version of an earlier volume of the spec, in a change
        /// Windows left unfinished (`DiskImage.interruptChange`): written with
        /// that volume's object id, as Windows writes a changed record.
        public var replaces: String? = nil

        public init(name: String, kind: VolumeKind, sizeBytes: UInt64, disks: [String],
                    spanBytes: [UInt64]? = nil, chunkBytes: UInt64 = 64 * 1024,
                    driveHint: String? = nil, objectID: UInt64? = nil, guid: String? = nil) {
            self.name = name
            self.kind = kind
            self.sizeBytes = sizeBytes
            self.disks = disks
            self.spanBytes = spanBytes
            self.chunkBytes = chunkBytes
            self.driveHint = driveHint
            self.objectID = objectID
            self.guid = guid
        }
    }
}

/// Why a spec cannot be written, or why writing failed.
public enum ImageWriterError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyName(what: String)
    case emptyGroup(String)
    case nameTooLong(what: String, name: String, limit: Int)
    case duplicateName(what: String, name: String)
    case invalidGUID(what: String, text: String)
    case unsupported(what: String, value: Int)
    case unknownDisk(volume: String, disk: String)
    case unknownVolume(what: String, name: String)
    case wrongDiskCount(volume: String, count: Int, expected: String)
    case mixedSectorSizes(volume: String)
    case notMultiple(what: String, value: UInt64, of: UInt64)
    case diskTooSmall(disk: String, sizeBytes: UInt64)
    case noSpace(volume: String, disk: String, sectors: UInt64)
    case recordTooLarge(object: String, bytes: Int, limit: Int)
    case duplicateObjectID(UInt64)
    case io(path: String, operation: String, errno: Int32)
    case outOfRange(offset: UInt64, count: Int, size: UInt64)

    public var description: String {
        switch self {
        case let .emptyName(what): return "\(what): empty name"
        case let .emptyGroup(name): return "disk group '\(name)' has no disks"
        case let .nameTooLong(what, name, limit):
            return "\(what) name '\(name)' is \(name.utf8.count) bytes, at most \(limit) allowed"
        case let .duplicateName(what, name): return "two \(what)s are named '\(name)'"
        case let .invalidGUID(what, text): return "\(what): '\(text)' is not a GUID"
        case let .unsupported(what, value): return "unsupported \(what) \(value)"
        case let .unknownDisk(volume, disk): return "volume '\(volume)' uses unknown disk '\(disk)'"
        case let .unknownVolume(what, name): return "\(what) names unknown volume '\(name)'"
        case let .wrongDiskCount(volume, count, expected):
            return "volume '\(volume)' has \(count) disks, needs \(expected)"
        case let .mixedSectorSizes(volume): return "volume '\(volume)' mixes sector sizes"
        case let .notMultiple(what, value, of): return "\(what) \(value) is not a multiple of \(of)"
        case let .diskTooSmall(disk, size): return "disk '\(disk)' (\(size) bytes) is too small"
        case let .noSpace(volume, disk, sectors):
            return "no free extent of \(sectors) sectors on disk '\(disk)' for volume '\(volume)'"
        case let .recordTooLarge(object, bytes, limit):
            return "the record of '\(object)' needs \(bytes) bytes, 4 VBLK fragments hold \(limit)"
        case let .duplicateObjectID(id): return "object id \(id) used twice"
        case let .io(path, operation, errno): return "\(operation) \(path): errno \(errno)"
        case let .outOfRange(offset, count, size): return "bytes \(offset)+\(count) lie past the image end (\(size))"
        }
    }
}
