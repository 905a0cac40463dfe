/// Where each structure of a written disk image lies, in bytes from the start
/// of the image, so tests can find a field and corrupt it.
public struct DiskLayout: Sendable, Equatable {
    public let sectorSize: Int
    public let totalSectors: UInt64
    public let partitionStyle: ImageSpec.PartitionStyle
    /// The MBR (or protective MBR) is always at byte 0.
    public let mbr: UInt64
    public let gpt: GPTLayout?
    public let database: DatabaseLayout
    /// Each partition of this disk and the byte range it occupies.
    public let partitions: [PartitionExtent]
}

public struct GPTLayout: Sendable, Equatable {
    public let primaryHeader: UInt64
    public let primaryEntries: UInt64
    public let backupEntries: UInt64
    public let backupHeader: UInt64
}

public struct DatabaseLayout: Sendable, Equatable {
    /// The PRIVHEAD readers look at first: sector 6 on MBR disks, the last
    /// sector of the LDM metadata partition on GPT disks.
    public let primaryPrivhead: UInt64
    /// Every PRIVHEAD copy (on GPT disks the primary is also the last
    /// database sector, so there are two).
    public let privheads: [UInt64]
    /// The four TOCBLOCK copies (database sectors 1, 2, size-3, size-2).
    public let tocblocks: [UInt64]
    public let vmdb: UInt64
    public let vblkSize: Int
    /// Every written slot, in sequence order, the empty ones included.
    public let slots: [SlotInfo]
    /// The first KLOG page (the TOCBLOCK's log region).
    public internal(set) var klog: UInt64 = 0

    /// The slots holding the record of the named object, in fragment order.
    public func slots(of objectName: String) -> [SlotInfo] { slots.filter { $0.objectName == objectName } }
}

public struct SlotInfo: Sendable, Equatable {
    public let sequence: UInt32
    public let offset: UInt64
    /// 0 for an empty slot.
    public let recordID: UInt32
    public let fragment: Int
    /// 0 for an empty slot.
    public let fragments: Int
    /// `volume`, `component`, `partition`, `disk` or `diskGroup`; nil when empty.
    public let kind: String?
    public let objectName: String?
}

public struct PartitionExtent: Sendable, Equatable {
    public let name: String
    public let volume: String
    /// Absolute byte offset and length on the image.
    public let offset: UInt64
    public let length: UInt64
}

/// A run of bytes the writer puts at a fixed offset.
struct ImagePiece: Sendable {
    let offset: UInt64
    let bytes: [UInt8]
}
