import LDM
import DMTable

extension FuzzDisks {
    /// The fuzzer's disks as the kernel would show them, so that the
    /// planner's choice between a whole disk and a partition is fuzzed too:
    /// each disk a block device (`8:16`, `8:32`, ... by its name, so the
    /// numbers do not depend on the order the disks are given in), and its
    /// own LDM data and database entries as kernel partitions (minor + 1,
    /// + 2), as the kernel's partition scan makes them. With `tables` (the
    /// partition tables of the disks whose metadata was read), only those
    /// disks get partitions: the planner maps members only, and a disk the
    /// reader refused is no member, so its table is not read again.
    public static func kernelView(_ sources: [some SectorSource], tables: [DevicePath: PartitionTable]? = nil) -> [DevicePath: DiskDevice] {
        let ranks = Dictionary(sources.map(\.path).sorted().enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var view: [DevicePath: DiskDevice] = [:]
        for s in sources {
            let disk = DeviceNumber(major: 8, minor: UInt32(16 * (ranks[s.path]! + 1)))
            var partitions: [KernelPartition] = []
            if let table = tables.map({ $0[s.path] }) ?? (try? PartitionTable.read(from: s)) {
                let scale = UInt64(s.sectorSize / 512)
                for (k, e) in [table.dataEntry, table.metadataEntry].enumerated() {
                    guard let e else { continue }
                    let (start, o1) = e.firstLBA.multipliedReportingOverflow(by: scale)
                    let (size, o2) = e.sectorCount.multipliedReportingOverflow(by: scale)
                    guard !o1, !o2, size > 0 else { continue }
                    partitions.append(KernelPartition(name: "fuzz\(ranks[s.path]!)p\(k + 1)",
                                                      number: DeviceNumber(major: 8, minor: disk.minor + UInt32(k + 1)),
                                                      start: start, size: size))
                }
            }
            view[s.path] = DiskDevice(number: disk, partitions: partitions.sorted { $0.start < $1.start })
        }
        return view
    }
}
