import LDM

/// The JSON that `show --json` prints. Keys are part of the interface:
/// scripts depend on `groups[].name/guid/disks/volumes` and on each
/// volume's `name`, `type`, `sizeBytes` and `state`. Add keys, never rename.
struct ShowOutput: Encodable {
    var groups: [GroupOut]
    var errors: [String]

    struct GroupOut: Encodable {
        var name: String
        var guid: String
        var clone: Int
        var cloneOf: String?
        var sectorSize: Int
        var committedSequence: UInt64
        var databaseSource: String
        var disksPresent: Int
        var disks: [DiskOut]
        var volumes: [VolumeOut]
        var notes: [String]
    }

    struct DiskOut: Encodable {
        var name: String
        var guid: String
        var present: Bool
        var device: String?
        var partitionStyle: String?
        var dataStart: UInt64?
        var dataSize: UInt64?
        var databaseStart: UInt64?
        var regions: [RegionOut]
    }

    struct RegionOut: Encodable {
        var start: UInt64
        var size: UInt64
        var free: Bool
        var partition: String?
        var volume: String?
    }

    struct VolumeOut: Encodable {
        var name: String
        var guid: String?
        var type: String
        var sizeBytes: UInt64
        var sizeSectors: UInt64
        var chunkSizeBytes: UInt64
        var driveHint: String?
        var partitionType: UInt8
        var state: String
        var partitions: [PartitionOut]
    }

    struct PartitionOut: Encodable {
        var name: String
        var disk: String
        var diskPresent: Bool
        var plex: Int
        var column: UInt64
        var start: UInt64
        var size: UInt64
        var volumeOffset: UInt64
    }

    init(groups: [DiskGroup], errors: [String]) {
        self.errors = errors
        self.groups = groups.map { g in
            GroupOut(
                name: g.name.display, guid: g.guid.text, clone: g.cloneIndex,
                cloneOf: g.cloneIndex > 0 ? g.guid.text : nil,
                sectorSize: g.sectorSize,
                committedSequence: g.committedSequence, databaseSource: LDMName(g.databaseSource).display,
                disksPresent: g.presentDiskCount,
                disks: g.disks.map { d in
                    DiskOut(name: d.name.display, guid: d.guid.text, present: d.isPresent,
                            device: d.location.map { LDMName($0.device).display },
                            partitionStyle: d.location?.partitionStyle.rawValue,
                            dataStart: d.location?.dataStart, dataSize: d.location?.dataSize,
                            databaseStart: d.location?.databaseStart,
                            regions: d.regions.map {
                                RegionOut(start: $0.start, size: $0.size, free: $0.partitionName == nil,
                                          partition: $0.partitionName?.display, volume: $0.volumeName?.display)
                            })
                },
                volumes: g.volumes.map { v in
                    VolumeOut(name: v.name.display, guid: v.guid?.text, type: v.type.rawValue,
                              sizeBytes: v.size * UInt64(g.sectorSize), sizeSectors: v.size,
                              chunkSizeBytes: v.chunkSize * UInt64(g.sectorSize),
                              driveHint: v.driveHint?.display, partitionType: v.partitionType,
                              state: v.state.rawValue,
                              partitions: v.components.enumerated().flatMap { (plex, c) in
                                  c.partitions.map { p in
                                      let disk = g.disk(id: p.diskID)
                                      return PartitionOut(name: p.name.display, disk: disk?.name.display ?? "?",
                                                          diskPresent: disk?.isPresent ?? false, plex: plex,
                                                          column: p.column, start: p.start, size: p.size,
                                                          volumeOffset: p.volumeOffset)
                                  }
                              })
                },
                notes: g.notes.map { LDMName($0).display })
        }
    }
}
