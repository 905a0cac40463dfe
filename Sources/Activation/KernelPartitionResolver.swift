import LDM
import DMTable
import BlockDevices

/// Maps an extent through the smallest kernel partition that holds it
/// (the LDM data partition, or the kernel's own per-LDM-partition device),
/// else through the whole disk, as `ldmctl activate` does.
public struct KernelPartitionResolver: ExtentResolver {
    public init() {}
    public func resolve(disk: Disk, location: DiskLocation, start: UInt64, length: UInt64) -> (path: String, offset: UInt64) {
        if let map = PartitionMap(device: location.device), let p = map.covering(start: start, length: length) {
            return (p.path, start - p.start)
        }
        return (location.device, start)
    }
}
