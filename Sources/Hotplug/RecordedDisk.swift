import DeviceMapper
import LDM

/// What a kernel partition of an LDM disk holds, so udev can tell the
/// partition of a simple volume (usable on its own) from a piece of a
/// spanned, striped or RAID-5 volume or a mirror leg (to be left alone).
public struct KernelPartitionRole: Equatable, Sendable {
    /// 512-byte sectors from the start of the disk, as sysfs gives them.
    public var start: UInt64
    public var size: UInt64
    /// A volume type (`simple`, `spanned`, ...) or `container` for the
    /// partition-table entry that holds the whole LDM data area or database.
    public var role: String
}

/// One LDM disk as the hotplug helper saw it: enough to put its group
/// together again without reading the disk: the bytes the metadata
/// reader read (re-parsed and re-validated on every use), plus a few
/// facts for udev rules. Stored as /run/ldmctl/disks/MAJ:MIN.
///
/// Format: text header lines (`key value`, values from validated fields
/// only), a line `extents N`, then N binary extents (u64 LE byte offset,
/// u32 LE length, bytes).
public struct RecordedDisk: Sendable {
    public var number: DeviceNumber
    /// The device node, checked to be a plain /dev path.
    public var device: String
    public var sectorSize: Int
    public var byteCount: UInt64
    public var groupGUID: GUID
    public var diskGUID: GUID
    public var bytesRead: Int
    public var partitions: [KernelPartitionRole]
    public var extents: [(offset: UInt64, bytes: [UInt8])]

    static let magic = "LDMCTL-DISK 1"
    /// A record larger than this is not ours (the reader reads well under 1 MiB).
    static let maxBytes = 8 << 20

    public init(number: DeviceNumber, device: String, sectorSize: Int, byteCount: UInt64, groupGUID: GUID,
                diskGUID: GUID, bytesRead: Int, partitions: [KernelPartitionRole],
                extents: [(offset: UInt64, bytes: [UInt8])]) {
        self.number = number; self.device = device; self.sectorSize = sectorSize; self.byteCount = byteCount
        self.groupGUID = groupGUID; self.diskGUID = diskGUID; self.bytesRead = bytesRead
        self.partitions = partitions; self.extents = extents
    }

    /// A device path safe to store, log and hand to device-mapper: kernel
    /// device names under /dev only.
    public static func isPlainDevicePath(_ path: String) -> Bool {
        guard path.hasPrefix("/dev/"), path.utf8.count <= 200, !path.contains("/../"), !path.hasSuffix("/..") else { return false }
        return path.utf8.dropFirst(5).allSatisfy { LDMName.isDeviceSafe($0) || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") }
            && !path.utf8.dropFirst(5).starts(with: [UInt8(ascii: ".")])
    }

    /// Parses the recorded bytes again: the same checks as a fresh read.
    public func metadata() throws -> DiskMetadata {
        try DiskMetadata.read(from: ReplaySectorSource(name: device, sectorSize: sectorSize,
                                                       byteCount: byteCount, extents: extents))
    }

    public func encoded() -> [UInt8] {
        var header = "\(Self.magic)\n"
        header += "devnum \(number)\n"
        header += "device \(device)\n"
        header += "sector-size \(sectorSize)\n"
        header += "byte-count \(byteCount)\n"
        header += "group \(groupGUID.text)\n"
        header += "disk \(diskGUID.text)\n"
        header += "bytes-read \(bytesRead)\n"
        for p in partitions { header += "partition \(p.start) \(p.size) \(p.role)\n" }
        header += "extents \(extents.count)\n"
        var out = Array(header.utf8)
        for e in extents {
            appendLE(&out, e.offset, 8)
            appendLE(&out, UInt64(e.bytes.count), 4)
            out += e.bytes
        }
        return out
    }

    /// nil when the bytes are not a well-formed record.
    public static func decode(_ bytes: [UInt8]) -> RecordedDisk? {
        guard bytes.count <= maxBytes else { return nil }
        var position = 0
        func line() -> String? {
            guard let end = bytes[position...].firstIndex(of: 0x0A), end - position < 512 else { return nil }
            let text = String(decoding: bytes[position..<end], as: UTF8.self)
            position = end + 1
            return text
        }
        guard line() == magic else { return nil }
        var fields: [String: String] = [:]
        var partitions: [KernelPartitionRole] = []
        var extentCount: Int?
        while extentCount == nil, let l = line() {
            let kv = l.split(separator: " ", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { return nil }
            switch kv[0] {
            case "partition":
                let f = kv[1].split(separator: " ")
                guard f.count == 3, let s = UInt64(f[0]), let n = UInt64(f[1]) else { return nil }
                partitions.append(KernelPartitionRole(start: s, size: n, role: String(f[2])))
            case "extents":
                guard let n = Int(kv[1]), n >= 0, n < 100_000 else { return nil }
                extentCount = n
            default:
                fields[kv[0]] = kv[1]
            }
        }
        guard let extentCount,
              let number = fields["devnum"].flatMap(DeviceNumber.init),
              let device = fields["device"], isPlainDevicePath(device),
              let sectorSize = fields["sector-size"].flatMap({ Int($0) }), sectorSize == 512 || sectorSize == 4096,
              let byteCount = fields["byte-count"].flatMap({ UInt64($0) }),
              let group = fields["group"].flatMap({ GUID($0) }),
              let disk = fields["disk"].flatMap({ GUID($0) }),
              let bytesRead = fields["bytes-read"].flatMap({ Int($0) }) else { return nil }
        var extents: [(offset: UInt64, bytes: [UInt8])] = []
        for _ in 0..<extentCount {
            guard bytes.count - position >= 12 else { return nil }
            let offset = readLE(bytes, position, 8)
            let count = Int(readLE(bytes, position + 8, 4))
            position += 12
            guard bytes.count - position >= count else { return nil }
            extents.append((offset, Array(bytes[position..<position + count])))
            position += count
        }
        guard position == bytes.count else { return nil }
        return RecordedDisk(number: number, device: device, sectorSize: sectorSize, byteCount: byteCount,
                          groupGUID: group, diskGUID: disk, bytesRead: bytesRead, partitions: partitions,
                          extents: extents)
    }
}

func appendLE(_ out: inout [UInt8], _ value: UInt64, _ width: Int) {
    for i in 0..<width { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
}

func readLE(_ bytes: [UInt8], _ at: Int, _ width: Int) -> UInt64 {
    var v: UInt64 = 0
    for i in 0..<width { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
    return v
}
