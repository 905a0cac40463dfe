/// PRIVHEAD: the per-disk header that says which disk this is, which group
/// it belongs to, where its data area and its copy of the database are.
public struct PrivateHeader: Equatable, Sendable {
    public var versionMajor: UInt16
    public var versionMinor: UInt16
    public var updateSequence: UInt64
    public var diskGUID: GUID
    public var hostGUID: GUID?
    public var groupGUID: GUID
    public var groupName: LDMName
    /// Data area (logical sectors); partition starts are relative to it.
    public var logicalDiskStart: UInt64
    public var logicalDiskSize: UInt64
    /// The database (logical sectors).
    public var configStart: UInt64
    public var configSize: UInt64
    /// Where the current TOCBLOCK copies are, in logical sectors from the
    /// database start (0x13B and 0x143). Windows writes each new TOCBLOCK
    /// beside the old one and then points these fields at it, so they, not
    /// fixed sectors, say which copy is current.
    public var primaryTOC: UInt64
    public var secondaryTOC: UInt64
    /// 0x113: shared, not to be imported automatically.
    public var flags: PrivateHeaderFlags = []

    static let magic = Array("PRIVHEAD".utf8)
    /// The database is always 1 MiB.
    static let databaseBytes: UInt64 = 1 << 20

    /// Parses and validates one copy. `diskSectors` bounds every extent.
    public static func parse(_ sector: [UInt8], device: String, location: String,
                             sectorSize: Int, diskSectors: UInt64) throws -> PrivateHeader {
        func fail(_ kind: LDMError.Kind, _ field: String?, _ problem: String) -> LDMError {
            LDMError(kind, device: device, location: location, field: field, problem)
        }
        do {
            var c = ByteCursor(sector)
            guard Array(try c.bytes(8)) == magic else { throw fail(.badMagic, "magic", "no \"PRIVHEAD\" signature") }
            try LDMChecksum.verify(sector, device: device, location: location)
            try c.seek(to: 0x0C)
            let major = try c.u16(), minor = try c.u16()
            // 2.11: Windows 2000/XP/2003; 2.12: Vista and later.
            guard major == 2, minor == 11 || minor == 12 else {
                throw fail(.unsupported, "version", "version \(major).\(minor) is not 2.11 or 2.12")
            }
            try c.seek(to: 0x18)
            let sequence = try c.u64()
            try c.seek(to: 0x30)
            let diskText = try c.paddedBytes(64)
            let hostText = try c.paddedBytes(64)
            let groupText = try c.paddedBytes(64)
            let name = try c.paddedBytes(32)
            guard let disk = GUID(text: diskText) else { throw fail(.invalid, "disk GUID", "not a GUID: \(LDMName(diskText).display)") }
            guard let group = GUID(text: groupText) else { throw fail(.invalid, "disk group GUID", "not a GUID: \(LDMName(groupText).display)") }
            try c.seek(to: 0x113)
            let flags = PrivateHeaderFlags(rawValue: try c.u32())
            try c.seek(to: 0x11B)
            let start = try c.u64(), size = try c.u64(), configStart = try c.u64(), configSize = try c.u64()
            let primaryTOC = try c.u64(), secondaryTOC = try c.u64()
            let header = PrivateHeader(versionMajor: major, versionMinor: minor, updateSequence: sequence,
                                       diskGUID: disk, hostGUID: GUID(text: hostText), groupGUID: group,
                                       groupName: LDMName(name), logicalDiskStart: start, logicalDiskSize: size,
                                       configStart: configStart, configSize: configSize,
                                       primaryTOC: primaryTOC, secondaryTOC: secondaryTOC, flags: flags)
            try header.validate(sectorSize: sectorSize, diskSectors: diskSectors, fail: fail)
            return header
        } catch let error as ByteCursor.CursorError {
            throw fail(.invalid, nil, "truncated: \(error)")
        }
    }

    func validate(sectorSize: Int, diskSectors: UInt64,
                  fail: (LDMError.Kind, String?, String) -> LDMError) throws {
        let expected = Self.databaseBytes / UInt64(sectorSize)
        guard configSize == expected else {
            throw fail(.invalid, "config size", "database is \(configSize) sectors, expected \(expected) (1 MiB)")
        }
        guard configStart < diskSectors, configSize <= diskSectors - configStart else {
            throw fail(.invalid, "config start", "database at sector \(configStart) (+\(configSize)) lies past the end of the disk (\(diskSectors) sectors)")
        }
        guard logicalDiskStart > 0 else {
            throw fail(.invalid, "logical disk start", "data area starts at sector 0")
        }
        let (end, overflow) = logicalDiskStart.addingReportingOverflow(logicalDiskSize)
        guard !overflow, end <= diskSectors else {
            throw fail(.invalid, "logical disk size", "data area \(logicalDiskStart)+\(logicalDiskSize) lies past the end of the disk (\(diskSectors) sectors)")
        }
        guard end <= configStart || logicalDiskStart >= configStart + configSize else {
            throw fail(.invalid, "logical disk size", "data area \(logicalDiskStart)+\(logicalDiskSize) overlaps the database at \(configStart)")
        }
    }

    /// The fields every copy must agree on (sequence and timestamps may differ).
    func sameIdentity(as other: PrivateHeader) -> Bool {
        diskGUID == other.diskGUID && groupGUID == other.groupGUID
            && logicalDiskStart == other.logicalDiskStart && logicalDiskSize == other.logicalDiskSize
            && configStart == other.configStart && configSize == other.configSize
    }
}
