import LDM

/// What `create-volume` asks for.
public struct VolumeRequest: Sendable {
    public var type: VolumeType
    /// Bytes; rounded up as `CreatePlanner` describes.
    public var sizeBytes: UInt64
    /// Disk names, in column / plex / span order; empty: the planner picks.
    public var disks: [String] = []
    public var name: String?
    /// Stripe chunk (striped and RAID-5), bytes; Windows' default is 64 KiB.
    public var chunkBytes: UInt64 = 64 * 1024
    /// `X:`, stored as the volume record's drive hint.
    public var driveHint: String?
    /// The new volume's GUID (text); a random one when nil.
    public var guid: String?

    public init(type: VolumeType, sizeBytes: UInt64, disks: [String] = [], name: String? = nil,
                chunkBytes: UInt64 = 64 * 1024, driveHint: String? = nil, guid: String? = nil) {
        self.type = type; self.sizeBytes = sizeBytes; self.disks = disks; self.name = name
        self.chunkBytes = chunkBytes; self.driveHint = driveHint; self.guid = guid
    }

    /// Parses SIZE: a number of bytes with an optional binary suffix
    /// (K, M, G, T, optionally followed by "iB" or "B"), or a number of
    /// sectors with the suffix "s". nil when it is not one.
    public static func parseSize(_ text: String, sectorSize: Int) -> UInt64? {
        let units: [(String, UInt64)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
                                         ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30), ("TB", 1 << 40),
                                         ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40),
                                         ("s", UInt64(sectorSize)), ("B", 1), ("", 1)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            let digits = text.dropLast(suffix.count)
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let n = UInt64(digits) else { continue }
            let (bytes, overflow) = n.multipliedReportingOverflow(by: factor)
            return overflow || bytes == 0 ? nil : bytes
        }
        return nil
    }
}
