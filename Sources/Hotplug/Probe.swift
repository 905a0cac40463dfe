import BlockDevices
import DeviceMapper
import LDM
#if canImport(Glibc)
import Glibc
#endif

/// The cheap test udev runs on every whole disk with a partition table:
/// is this an LDM (dynamic) disk? Reads sector 0, the GPT header and
/// entries when there is a GPT, and the PRIVHEAD sector: a few KiB at
/// most, and no database.
public enum Probe {
    public static func run(device: String, imageSectorSize: Int = 512) -> UdevProperties {
        var out = UdevProperties()
        guard let base = try? FileSectorSource(path: device, imageSectorSize: imageSectorSize) else { return out }
        let source = RecordingSectorSource(base)
        guard let table = try? PartitionTable.read(from: source) else { return out }
        // The partition table alone says "dynamic disk" (an MBR 0x42 entry
        // or a GPT LDM metadata partition); the PRIVHEAD says which group.
        out.set("LDM_DISK", "1")
        var st = stat()
        if stat(device, &st) == 0, st.st_mode & S_IFMT == S_IFBLK {
            // Lets the partitions' rule find partitions/MAJ:MIN/ without a program.
            out.set("LDM_DISK_DEVNUM", "\(DeviceNumber(encoded: UInt64(st.st_rdev)))")
        }
        out.set("LDM_PARTITION_STYLE", table.style.rawValue)
        let lba = table.privateHeaderLBA
        if lba < source.sectorCount,
           let sector = try? source.read(at: lba * UInt64(source.sectorSize), count: source.sectorSize),
           let header = try? PrivateHeader.parse(sector, device: source.displayName, location: "PRIVHEAD",
                                                 sectorSize: source.sectorSize, diskSectors: source.sectorCount) {
            out.set("LDM_GROUP_GUID", header.groupGUID.text)
            out.set("LDM_DISK_GUID", header.diskGUID.text)
            out.set("LDM_GROUP_NAME", header.groupName)
        } else {
            // The helper will try the PRIVHEAD's backup copies.
            out.set("LDM_PRIVHEAD", "unreadable")
        }
        out.set("LDM_PROBE_BYTES", "\(source.bytesRead)")
        return out
    }
}
