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
/// Format: a `RunRecord` of kind `disk`.
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

    static let kind = "disk"

    /// A `RunRecord`: the facts as fields, then the extents as the binary
    /// tail (u64 LE byte offset, u32 LE length, bytes), `extents` of them.
    public func encoded() -> [UInt8] {
        var r = RunRecord(kind: Self.kind)
        r.add("devnum", "\(number)")
        r.add("device", device)
        r.add("sector-size", "\(sectorSize)")
        r.add("byte-count", "\(byteCount)")
        r.add("group", groupGUID.text)
        r.add("disk", diskGUID.text)
        r.add("bytes-read", "\(bytesRead)")
        for p in partitions { r.add("partition", "\(p.start) \(p.size) \(p.role)") }
        r.add("extents", "\(extents.count)")
        for e in extents {
            appendLE(&r.tail, e.offset, 8)
            appendLE(&r.tail, UInt64(e.bytes.count), 4)
            r.tail += e.bytes
        }
        // The device path was checked (isPlainDevicePath), roles are volume types: always encodable.
        return r.encoded() ?? []
    }

    /// nil when the bytes are not a well-formed record.
    public static func decode(_ bytes: [UInt8]) -> RecordedDisk? {
        guard let r = RunRecord.decode(bytes, kind: kind) else { return nil }
        var partitions: [KernelPartitionRole] = []
        for p in r.values("partition") {
            let f = p.split(separator: " ")
            guard f.count == 3, let s = UInt64(f[0]), let n = UInt64(f[1]) else { return nil }
            partitions.append(KernelPartitionRole(start: s, size: n, role: String(f[2])))
        }
        guard let extentCount = r.value("extents").flatMap({ Int($0) }), extentCount >= 0, extentCount < 100_000,
              let number = r.value("devnum").flatMap(DeviceNumber.init),
              let device = r.value("device"), isPlainDevicePath(device),
              let sectorSize = r.value("sector-size").flatMap({ Int($0) }), sectorSize == 512 || sectorSize == 4096,
              let byteCount = r.value("byte-count").flatMap({ UInt64($0) }),
              let group = r.value("group").flatMap({ GUID($0) }),
              let disk = r.value("disk").flatMap({ GUID($0) }),
              let bytesRead = r.value("bytes-read").flatMap({ Int($0) }) else { return nil }
        let bytes = r.tail
        var position = 0
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
