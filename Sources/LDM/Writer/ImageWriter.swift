/// Writes LDM ("dynamic disk") images from a spec. Pure: it returns
/// `DiskImage` values; only `DiskImage.write(to:)` touches the file system.
///
///     let images = try ImageWriter.write(SampleSpecs.standard)
///     for image in images { try image.write(to: dir + "/" + image.fileName) }
public enum ImageWriter {
    /// The writer's decisions (ids, names, placement) without building images.
    public static func plan(_ spec: ImageSpec) throws(ImageWriterError) -> [PlannedGroup] {
        try ImagePlanner.plan(spec)
    }

    /// One image per disk, groups in spec order, disks in group order.
    public static func write(_ spec: ImageSpec) throws(ImageWriterError) -> [DiskImage] {
        var images: [DiskImage] = []
        for group in try ImagePlanner.plan(spec) {
            let database = try DatabaseWriter(group: group)
            for (di, disk) in group.disks.enumerated() {
                // Basic entries, those over a volume placed on its partition here.
                let basic = try disk.basicEntries.map { (e: ImageSpec.BasicEntry) throws(ImageWriterError) -> PartitionTableWriter.Basic in
                    let ss = UInt64(disk.sectorSize)
                    guard let name = e.volume else {
                        return .init(entry: e, first: e.startBytes / ss, count: e.sizeBytes / ss)
                    }
                    guard let p = group.volume(named: name)?.partitions.first(where: { $0.diskIndex == di }) else {
                        throw .unknownVolume(what: "a basic entry of disk '\(disk.name)'", name: name)
                    }
                    return .init(entry: e, first: disk.dataStart + p.start, count: p.size)
                }
                let (table, gpt) = PartitionTableWriter.structures(for: disk, basic: basic)
                let (db, dbLayout) = database.structures(for: disk)
                var extents: [PartitionExtent] = []
                var content: [DiskImage.ContentExtent] = []
                let ss = UInt64(disk.sectorSize)
                for v in group.volumes {
                    let stream = ContentStream(group: group.name, volume: v.name)
                    for p in v.partitions where p.diskIndex == di {
                        let offset = (disk.dataStart + p.start) * ss
                        extents.append(PartitionExtent(name: p.name, volume: v.name, offset: offset, length: p.size * ss))
                        content.append(.init(offset: offset, length: p.size * ss,
                                             source: PartitionContent(stream: stream, role: p.role)))
                    }
                }
                let layout = DiskLayout(sectorSize: disk.sectorSize, totalSectors: disk.totalSectors,
                                        partitionStyle: disk.partitionStyle, mbr: 0, gpt: gpt,
                                        database: dbLayout, partitions: extents)
                images.append(DiskImage(groupName: group.name, name: disk.name, fileName: disk.fileName,
                                        sectorSize: disk.sectorSize, sizeBytes: disk.sizeBytes, layout: layout,
                                        pieces: table + db, content: content))
            }
        }
        return images
    }
}
