/// The flag words Windows keeps on LDM objects (all big-endian u32 in the
/// records). Values as DiskAccessLibrary names them after Windows' own
/// diagnostics (DMDiag); none of the kernel, GRUB, FreeBSD or libldm reads
/// them. Only the bits with a known consequence are named.

/// Volume record flags.
public struct VolumeFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let writeBack = VolumeFlags(rawValue: 0x01)
    public static let writeCopy = VolumeFlags(rawValue: 0x02)
    public static let crashed = VolumeFlags(rawValue: 0x04)
    public static let pending = VolumeFlags(rawValue: 0x2000)
    /// Holds the running Windows' boot files; Windows keeps a basic
    /// partition entry for it too (with `retainPartition`).
    public static let bootVolume = VolumeFlags(rawValue: 0x20_0000)
    public static let systemVolume = VolumeFlags(rawValue: 0x40_0000)
    public static let retainPartition = VolumeFlags(rawValue: 0x80_0000)

    /// Words for `show`, for the bits a user should know about.
    public var words: [String] {
        [(Self.bootVolume, "boot"), (Self.systemVolume, "system"), (Self.retainPartition, "retained-partition"),
         (Self.crashed, "crashed"), (Self.pending, "pending")].compactMap { contains($0.0) ? $0.1 : nil }
    }
}

/// Disk record flags.
public struct DiskFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let spare = DiskFlags(rawValue: 0x02)
    public static let failing = DiskFlags(rawValue: 0x04)
    public static let removed = DiskFlags(rawValue: 0x100)
    /// Windows lost the disk and went on without it: what it holds of a
    /// mirror or RAID-5 is out of date until the disk is reactivated.
    public static let detached = DiskFlags(rawValue: 0x200)

    public var words: [String] {
        [(Self.failing, "failing"), (Self.removed, "removed"), (Self.detached, "detached"), (Self.spare, "spare")]
            .compactMap { contains($0.0) ? $0.1 : nil }
    }
}

/// Component (plex) record flags.
public struct ComponentFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Out of date: must be recovered from another plex.
    public static let recover = ComponentFlags(rawValue: 0x02)
    /// Detached after an I/O error, so out of date.
    public static let ioFail = ComponentFlags(rawValue: 0x04)
    public static let pending = ComponentFlags(rawValue: 0x08)
}

/// Partition (extent) record flags.
public struct ExtentFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Out of date: must be rebuilt from the other members.
    public static let recover = ExtentFlags(rawValue: 0x08)
    public static let kernelDetached = ExtentFlags(rawValue: 0x10)
}

/// PRIVHEAD flags (0x113).
public struct PrivateHeaderFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let shared = PrivateHeaderFlags(rawValue: 0x01)
    /// The group is not to be imported automatically.
    public static let noAutoImport = PrivateHeaderFlags(rawValue: 0x02)
}
