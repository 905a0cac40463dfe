import LDM
import LDMWriter

/// Everything one change writes, decided before anything is written: the
/// records to add (status 2 until the commit), the records to retire
/// (status 1 until the commit, then their slots are cleared), the
/// transaction ids and the record counts before and after.
public struct ChangePlan: Sendable {
    public enum Action: String, Sendable { case create, delete }

    /// One partition of the volume created or deleted.
    public struct Extent: Equatable, Sendable {
        public var disk: LDMName
        public var partition: LDMName
        /// Sectors from the disk's data start.
        public var start: UInt64
        public var size: UInt64
        /// Column (striped, RAID-5), plex (mirrored) or order (spanned).
        public var position: Int
    }

    public var action: Action
    public var group: LDMName
    public var volume: LDMName
    public var type: VolumeType
    /// Sectors.
    public var volumeSize: UInt64
    public var chunkSize: UInt64
    public var driveHint: String?
    public var extents: [Extent]
    /// The group's committed transaction id, and the id this change commits.
    public var committedID: UInt64
    public var pendingID: UInt64
    /// New records, and new copies of changed records (same object id).
    public var newRecords: [LiveRecords.Encoded]
    /// Object ids whose current records are retired: deleted records, and
    /// the old copies of changed ones.
    public var retiredIDs: [UInt64]
    /// Volume, component, partition and disk record counts.
    public var countsBefore: [UInt32]
    public var countsAfter: [UInt32]
}
