#if canImport(Glibc)
import Glibc
#endif
import DMTypes
import LDM

extension DiskDevice {
    /// How the kernel knows the disk `source` was opened from: its number
    /// and its partitions from sysfs, read once, before planning. An image
    /// file has neither.
    public static func of(_ source: FileSectorSource) -> DiskDevice? {
        guard let number = source.deviceNumber else { return nil }
        return DiskDevice(number: number, partitions: kernelPartitions(of: number))
    }

    /// The same for a path, by stat(2); nil when it is not a block device.
    public static func of(blockDevice path: DevicePath) -> DiskDevice? {
        var st = stat()
        guard path.withCString({ $0.map { stat($0, &st) } ?? -1 }) == 0, st.st_mode & S_IFMT == S_IFBLK else { return nil }
        let number = DeviceNumber(encoded: UInt64(st.st_rdev))
        return DiskDevice(number: number, partitions: kernelPartitions(of: number))
    }

    /// The partitions under /sys/dev/block/MAJ:MIN, sorted by start.
    public static func kernelPartitions(of disk: DeviceNumber) -> [KernelPartition] {
        let sys = "/sys/dev/block/\(disk)"
        var found: [KernelPartition] = []
        for name in SystemDisks.listDirectory(sys) {
            // Kernel names are [A-Za-z0-9]; anything else is not trusted into a path.
            guard name.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }) else { continue }
            let dir = "\(sys)/\(name)"
            guard access("\(dir)/partition", F_OK) == 0,
                  let number = SystemDisks.readSysfs("\(dir)/dev").flatMap({ DeviceNumber($0) }),
                  let start = SystemDisks.readSysfs("\(dir)/start").flatMap({ UInt64($0) }),
                  let size = SystemDisks.readSysfs("\(dir)/size").flatMap({ UInt64($0) }) else { continue }
            found.append(KernelPartition(name: name, number: number, start: start, size: size))
        }
        return found.sorted { $0.start < $1.start }
    }
}
