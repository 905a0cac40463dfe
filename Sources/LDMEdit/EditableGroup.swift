#if canImport(Glibc)
import Glibc
#endif
import LDM

/// A disk group that may be changed: every disk present, every copy of
/// the database clean (VMDB update status 1, nothing pending, no record
/// waiting to be activated or deleted) and at the same committed
/// sequence. DiskAccessLibrary refuses to write to anything less
/// (`UpdateDatabase`: "Database is in inconsistent state"), and so do we.
public struct EditableGroup: Sendable {
    public let group: DiskGroup
    /// One per disk of the group, in the group's disk order.
    public var members: [MemberDatabase]

    /// Checks the group and reads every member's database copy.
    /// `metadata` and `sources` are the group's members as read.
    public static func make(_ group: DiskGroup, metadata: [DiskMetadata],
                            sources: [any SectorSource]) throws(EditError) -> EditableGroup {
        let name = group.name.display
        var members: [MemberDatabase] = []
        for disk in group.disks {
            guard let location = disk.location else {
                throw EditError("disk group \(name): disk \(disk.name.display) (\(disk.guid)) is missing; every disk of the group must be present to change its database")
            }
            guard let m = metadata.first(where: { $0.device == location.device && $0.privateHeader.diskGUID == disk.guid }),
                  let source = sources.first(where: { $0.path == location.device }) else {
                throw EditError("disk group \(name): disk \(disk.name.display) at \(location.device) was not read")
            }
            let where_ = "\(location.device) (disk \(disk.name.display))"
            guard m.change == .consistent, m.vmdb.updateStatus == 1, m.vmdb.committedSequence == m.vmdb.pendingSequence else {
                throw EditError("\(where_): the database is in the middle of a change (VMDB update status \(m.vmdb.updateStatus), committed sequence \(m.vmdb.committedSequence), pending \(m.vmdb.pendingSequence)); import the group in Windows to finish it first")
            }
            guard m.vmdb.committedSequence == group.committedSequence else {
                throw EditError("\(where_): the database copy is at committed sequence \(m.vmdb.committedSequence), the group at \(group.committedSequence); the copies must agree before a change")
            }
            let db: MemberDatabase
            do { db = try MemberDatabase.read(m, disk: disk, from: source) } catch let e as EditError { throw e } catch {
                throw EditError("\(where_): \(error)")
            }
            if let s = db.slots.first(where: { $0.status.map { $0 != 0 } ?? false }) {
                throw EditError("\(where_): VBLK slot \(s.sequence) holds a record with status \(s.status!) (not active) although no change is in flight; refusing to change an inconsistent database")
            }
            members.append(db)
        }
        // The records are the same on every disk (the group assembled), and
        // Windows keeps the config and log regions identical on all disks
        // (DiskAccessLibrary, VolumeManagerDatabase.cs, note 1): check the
        // slot area, which this change edits slot by slot.
        if let first = members.first {
            let from = first.firstSlot * first.vblkSize
            for m in members.dropFirst() where m.vblkSize != first.vblkSize || m.config.count != first.config.count
                || !sameBytes(m.config, first.config, from: from) {
                throw EditError("\(m.device) (disk \(m.diskName.display)): its copy of the database's records differs from the copy on \(first.device); refusing to change an inconsistent database")
            }
        }
        return EditableGroup(group: group, members: members)
    }
}

/// Whether `a` and `b` hold the same bytes from `from` on (memcmp: the
/// slot areas are most of a megabyte each).
func sameBytes(_ a: [UInt8], _ b: [UInt8], from: Int) -> Bool {
    guard a.count == b.count, from <= a.count else { return false }
    return a.withUnsafeBytes { x in b.withUnsafeBytes { y in memcmp(x.baseAddress! + from, y.baseAddress! + from, a.count - from) == 0 } }
}
