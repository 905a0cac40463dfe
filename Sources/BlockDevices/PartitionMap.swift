#if canImport(Glibc)
import Glibc
#endif

/// The kernel's partitions of a whole-disk block device, from sysfs. Used
/// to reach an LDM extent through a partition device: when another
/// partition of the disk is mounted, the whole disk cannot be claimed by
/// device-mapper, but an unused partition can.
public struct PartitionMap: Sendable {
    public struct KernelPartition: Equatable, Sendable {
        public var path: String
        /// 512-byte sectors from the start of the disk.
        public var start: UInt64
        public var size: UInt64
    }

    public var partitions: [KernelPartition]

    /// nil when `device` is not a block device known to sysfs (an image file).
    public init?(device: String) {
        guard device.hasPrefix("/dev/") else { return nil }
        var st = stat()
        guard stat(device, &st) == 0, st.st_mode & S_IFMT == S_IFBLK else { return nil }
        // /sys/dev/block/MAJ:MIN resolves to the disk's sysfs directory.
        let major = (st.st_rdev >> 8) & 0xfff | ((st.st_rdev >> 32) & ~0xfff)
        let minor = (st.st_rdev & 0xff) | ((st.st_rdev >> 12) & ~0xff)
        let sys = "/sys/dev/block/\(major):\(minor)"
        var found: [KernelPartition] = []
        for name in SystemDisks.listDirectory(sys) {
            let dir = "\(sys)/\(name)"
            guard access("\(dir)/partition", F_OK) == 0,
                  let start = SystemDisks.readSysfs("\(dir)/start").flatMap({ UInt64($0) }),
                  let size = SystemDisks.readSysfs("\(dir)/size").flatMap({ UInt64($0) }) else { continue }
            // Kernel names are [A-Za-z0-9]; anything else is not trusted into a path.
            guard name.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }) else { continue }
            found.append(KernelPartition(path: "/dev/\(name)", start: start, size: size))
        }
        partitions = found.sorted { $0.start < $1.start }
    }

    /// The smallest partition that holds the whole extent, if any.
    public func covering(start: UInt64, length: UInt64) -> KernelPartition? {
        partitions.filter { $0.start <= start && start + length <= $0.start + $0.size }
            .min { $0.size < $1.size }
    }
}
