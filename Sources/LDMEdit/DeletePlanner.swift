import LDM
import LDMWriter

/// Plans deleting a volume: its volume, component and partition records
/// are retired, and the record of every disk it had a partition on is
/// rewritten with the change's commit id (Windows updates the disk record
/// when a volume on the disk is added or deleted: DiskAccessLibrary,
/// `UpdateDatabase` note 4). No new ids are allocated, so the change's id
/// is the committed id + 1.
public enum DeletePlanner {
    public static func plan(_ g: EditableGroup, volume name: String) throws(EditError) -> ChangePlan {
        let group = g.group
        guard let v = group.volumes.first(where: { $0.name.display == name }) else {
            throw EditError("disk group \(group.name.display) has no volume \(LDMName(name).display) (its volumes: \(group.volumes.map(\.name.display).joined(separator: ", ")))")
        }
        let committed = g.members[0].committedID
        let pending = committed + 1
        var diskIDs: [UInt64] = []
        for p in v.partitions where !diskIDs.contains(p.diskID) { diskIDs.append(p.diskID) }
        var records: [LiveRecords.Encoded] = []
        for id in diskIDs {
            guard let disk = group.disk(id: id), let payload = g.members[0].payload(ofObject: id) else {
                throw EditError("the record of disk id \(id) of volume \(v.name.display) was not found in the database")
            }
            records.append(.init(kind: "disk", name: disk.name.display, objectID: id,
                                 payload: RecordFields.withCommitID(payload, pending)))
        }
        let retired = [v.id] + v.components.map(\.id) + v.partitions.map(\.id) + diskIDs
        for id in retired where g.members[0].slots(ofObject: id).isEmpty {
            throw EditError("the record of object \(id) (volume \(v.name.display)) was not found in the database")
        }
        var extents: [ChangePlan.Extent] = []
        for (ci, c) in v.components.enumerated() {
            for (i, p) in c.partitions.enumerated() {
                extents.append(.init(disk: group.disk(id: p.diskID)?.name ?? LDMName("?"), partition: p.name,
                                     start: p.start, size: p.size, position: v.type == .mirrored ? ci : i))
            }
        }
        let before = g.members[0].committedCounts
        let after = [before[0] - 1, before[1] - UInt32(v.components.count), before[2] - UInt32(v.partitions.count), before[3]]
        return ChangePlan(action: .delete, group: group.name, volume: v.name, type: v.type, volumeSize: v.size,
                          chunkSize: v.chunkSize, driveHint: v.driveHint?.display, extents: extents,
                          committedID: committed, pendingID: pending, newRecords: records, retiredIDs: retired,
                          countsBefore: before, countsAfter: after)
    }
}
