/// JSON form of a spec (for `ldm-mkimage spec`): the same field names as the
/// Swift types; fields with defaults may be left out. (Encoding is
/// synthesized; the conformances are declared with the types.)
extension ImageSpec.Group {
    enum CodingKeys: String, CodingKey {
        case name, guid, recordRevision, privheadMinor, vblkSize, sequence, disks, volumes, windowsFlags, spareSlots
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name),
                  guid: try c.decodeIfPresent(String.self, forKey: .guid),
                  recordRevision: try c.decodeIfPresent(Int.self, forKey: .recordRevision) ?? 3,
                  privheadMinor: try c.decodeIfPresent(Int.self, forKey: .privheadMinor) ?? 11,
                  vblkSize: try c.decodeIfPresent(Int.self, forKey: .vblkSize) ?? 128,
                  sequence: try c.decodeIfPresent(UInt64.self, forKey: .sequence) ?? 0x400,
                  disks: try c.decode([ImageSpec.Disk].self, forKey: .disks),
                  volumes: try c.decodeIfPresent([ImageSpec.Volume].self, forKey: .volumes) ?? [])
        windowsFlags = try c.decodeIfPresent(ImageSpec.WindowsFlags.self, forKey: .windowsFlags) ?? .init()
        spareSlots = try c.decodeIfPresent(Int.self, forKey: .spareSlots) ?? 0
    }
}

extension ImageSpec.Disk {
    enum CodingKeys: String, CodingKey {
        case name, guid, sizeBytes, partitionStyle, sectorSize, recordRevision, dataStart, fileName
        case basicEntries, trailingBytes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name),
                  guid: try c.decodeIfPresent(String.self, forKey: .guid),
                  sizeBytes: try c.decode(UInt64.self, forKey: .sizeBytes),
                  partitionStyle: try c.decodeIfPresent(ImageSpec.PartitionStyle.self, forKey: .partitionStyle) ?? .mbr,
                  sectorSize: try c.decodeIfPresent(Int.self, forKey: .sectorSize) ?? 512,
                  recordRevision: try c.decodeIfPresent(Int.self, forKey: .recordRevision) ?? 3,
                  dataStart: try c.decodeIfPresent(UInt64.self, forKey: .dataStart),
                  fileName: try c.decodeIfPresent(String.self, forKey: .fileName))
        basicEntries = try c.decodeIfPresent([ImageSpec.BasicEntry].self, forKey: .basicEntries) ?? []
        trailingBytes = try c.decodeIfPresent(UInt64.self, forKey: .trailingBytes) ?? 0
    }
}

extension ImageSpec.Volume {
    enum CodingKeys: String, CodingKey {
        case name, kind, sizeBytes, disks, spanBytes, chunkBytes, driveHint, objectID, guid, replaces
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name),
                  kind: try c.decode(ImageSpec.VolumeKind.self, forKey: .kind),
                  sizeBytes: try c.decode(UInt64.self, forKey: .sizeBytes),
                  disks: try c.decode([String].self, forKey: .disks),
                  spanBytes: try c.decodeIfPresent([UInt64].self, forKey: .spanBytes),
                  chunkBytes: try c.decodeIfPresent(UInt64.self, forKey: .chunkBytes) ?? 64 * 1024,
                  driveHint: try c.decodeIfPresent(String.self, forKey: .driveHint),
                  objectID: try c.decodeIfPresent(UInt64.self, forKey: .objectID),
                  guid: try c.decodeIfPresent(String.self, forKey: .guid))
        replaces = try c.decodeIfPresent(String.self, forKey: .replaces)
    }
}
