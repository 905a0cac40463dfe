import LDM

/// The text manifest of a metadata backup: which disks, which sector
/// ranges, and a SHA-256 of each disk's file. One `key value` per line; a
/// `disk GUID` line opens a disk's section and `end` closes it. The device
/// path is recorded for people only (escaped): a restore finds each disk by
/// its GUID.
///
///     ldmctl-metadata-backup 1
///     version ldmctl 0.1.0
///     created 2026-12-02T07:30:00Z
///     group 0a1b...
///     disk 5c6d...
///     device /dev/sdb
///     file disk-5c6d....img
///     sector-size 512
///     disk-bytes 52428800
///     database 100351 2048
///     range 6 1
///     range 100351 2048
///     sha256 9f86...
///     end
public struct BackupManifest: Equatable, Sendable {
    public struct SectorRange: Equatable, Sendable {
        public var firstSector: UInt64
        public var sectors: UInt64
    }

    public struct Disk: Equatable, Sendable {
        public var diskGUID: GUID
        /// The path it was read from, escaped; for people only.
        public var device: String
        public var sectorSize: Int
        public var diskBytes: UInt64
        /// The database (PRIVHEAD config start and size), in sectors.
        public var database: SectorRange
        /// What was saved, in order: the file holds these ranges back to back.
        public var ranges: [SectorRange]
        public var sha256: String

        public var fileName: String { "disk-\(diskGUID.text).img" }
        public var byteCount: UInt64 { ranges.reduce(0) { $0 + $1.sectors } * UInt64(sectorSize) }

        /// What to save of one disk: its 1 MiB database; on MBR disks also
        /// the primary PRIVHEAD at sector 6, outside it; on GPT disks the
        /// whole LDM metadata partition, which holds the database.
        init(_ m: DiskMetadata) throws(BackupError) {
            let h = m.privateHeader
            diskGUID = h.diskGUID
            device = m.device.display
            sectorSize = m.sectorSize
            diskBytes = m.diskSectors * UInt64(m.sectorSize)
            database = SectorRange(firstSector: h.configStart, sectors: h.configSize)
            sha256 = ""
            var wanted = [database, SectorRange(firstSector: m.partitionTable.privateHeaderLBA, sectors: 1)]
            if let meta = m.partitionTable.metadataEntry {
                wanted.append(SectorRange(firstSector: meta.firstLBA, sectors: meta.sectorCount))
            }
            ranges = Self.merged(wanted)
            for r in ranges {
                let (end, overflow) = r.firstSector.addingReportingOverflow(r.sectors)
                guard !overflow, r.sectors > 0, end <= m.diskSectors else {
                    throw BackupError("\(device): sectors \(r.firstSector)..+\(r.sectors) lie past the end of the disk (\(m.diskSectors) sectors)")
                }
            }
            guard byteCount <= MetadataBackup.maxBytesPerDisk else {
                throw BackupError("\(device): the LDM metadata area is \(byteCount) bytes, more than the \(MetadataBackup.maxBytesPerDisk) a backup takes (Windows makes it 1 MiB)")
            }
        }

        init(diskGUID: GUID, device: String, sectorSize: Int, diskBytes: UInt64,
             database: SectorRange, ranges: [SectorRange], sha256: String) {
            (self.diskGUID, self.device, self.sectorSize, self.diskBytes) = (diskGUID, device, sectorSize, diskBytes)
            (self.database, self.ranges, self.sha256) = (database, ranges, sha256)
        }

        /// Sorted, with overlapping or touching ranges joined.
        static func merged(_ ranges: [SectorRange]) -> [SectorRange] {
            var out: [SectorRange] = []
            for r in ranges.sorted(by: { $0.firstSector < $1.firstSector }) {
                if let last = out.last, r.firstSector <= last.firstSector &+ last.sectors {
                    let end = max(last.firstSector &+ last.sectors, r.firstSector &+ r.sectors)
                    out[out.count - 1].sectors = end - last.firstSector
                } else {
                    out.append(r)
                }
            }
            return out
        }
    }

    public var version: String
    public var created: String
    public var group: GUID
    public var disks: [Disk]

    static let magic = "ldmctl-metadata-backup 1"

    public var text: String {
        var lines = [Self.magic, "version \(Self.printable(version))", "created \(Self.printable(created))", "group \(group.text)"]
        for d in disks {
            lines += ["disk \(d.diskGUID.text)", "device \(Self.printable(d.device))", "file \(d.fileName)",
                      "sector-size \(d.sectorSize)", "disk-bytes \(d.diskBytes)",
                      "database \(d.database.firstSector) \(d.database.sectors)"]
            lines += d.ranges.map { "range \($0.firstSector) \($0.sectors)" }
            lines += ["sha256 \(d.sha256)", "end"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Informational text (device, version, time) is kept as printable
    /// ASCII: what ldmctl writes is escaped already (`DevicePath.display`)
    /// and passes as it is, so it is escaped once; anything else (a
    /// manifest written by hand or by an attacker, read back) is escaped
    /// before it can reach a terminal or break a line.
    static func printable(_ s: String) -> String {
        s.utf8.allSatisfy { (0x20...0x7E).contains($0) } ? s : LDMName(Array(s.utf8)).display
    }

    /// Parses a manifest strictly: every line known, every number in range,
    /// every disk whole. `source` names the file in errors.
    public static func parse(_ bytes: [UInt8], source: String) throws(BackupError) -> BackupManifest {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var number = 0
        func fail(_ problem: String) -> BackupError { BackupError("\(source): line \(number): \(problem)") }
        var manifest = BackupManifest(version: "", created: "", group: GUID("00000000-0000-0000-0000-000000000000")!, disks: [])
        var sawGroup = false
        var current: Disk?
        guard lines.first == magic else { throw BackupError("\(source): not an ldmctl metadata backup manifest (first line is not \"\(magic)\")") }
        for line in lines.dropFirst() {
            number += 1
            if line.isEmpty { continue }
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            let key = parts[0], value = parts.count > 1 ? parts[1] : ""
            let fields = value.split(separator: " ").map(String.init)
            func u64(_ i: Int) throws(BackupError) -> UInt64 {
                guard i < fields.count, let n = UInt64(fields[i]) else { throw fail("\(key): \(LDMName(value).display) is not a number") }
                return n
            }
            func range() throws(BackupError) -> SectorRange {
                guard fields.count == 2 else { throw fail("\(key): expected FIRST-SECTOR SECTORS") }
                let r = SectorRange(firstSector: try u64(0), sectors: try u64(1))
                guard r.sectors > 0, !r.firstSector.addingReportingOverflow(r.sectors).overflow else { throw fail("\(key): bad range") }
                return r
            }
            if current == nil {
                switch key {
                case "version": manifest.version = printable(value)
                case "created": manifest.created = printable(value)
                case "group":
                    guard let g = GUID(value) else { throw fail("group: not a GUID") }
                    manifest.group = g
                    sawGroup = true
                case "disk":
                    guard let g = GUID(value) else { throw fail("disk: not a GUID") }
                    guard !manifest.disks.contains(where: { $0.diskGUID == g }) else { throw fail("disk \(g) is listed twice") }
                    current = Disk(diskGUID: g, device: "", sectorSize: 0, diskBytes: 0,
                                   database: SectorRange(firstSector: 0, sectors: 0), ranges: [], sha256: "")
                default: throw fail("unknown line \(LDMName(line).display)")
                }
                continue
            }
            switch key {
            case "device": current!.device = printable(value)
            case "file":
                guard value == current!.fileName else { throw fail("file: expected \(current!.fileName)") }
            case "sector-size":
                let n = try u64(0)
                guard n == 512 || n == 4096 else { throw fail("sector-size: \(n) is not 512 or 4096") }
                current!.sectorSize = Int(n)
            case "disk-bytes": current!.diskBytes = try u64(0)
            case "database": current!.database = try range()
            case "range": current!.ranges.append(try range())
            case "sha256":
                guard value.utf8.count == 64, value.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                    throw fail("sha256: not 64 lower-case hex digits")
                }
                current!.sha256 = value
            case "end":
                let d = current!
                guard d.sectorSize != 0, d.diskBytes != 0, d.database.sectors != 0, !d.ranges.isEmpty, !d.sha256.isEmpty else {
                    throw fail("disk \(d.diskGUID) lacks sector-size, disk-bytes, database, range or sha256")
                }
                let sectors = d.diskBytes / UInt64(d.sectorSize)
                for r in d.ranges + [d.database] where r.firstSector + r.sectors > sectors {
                    throw fail("disk \(d.diskGUID): sectors \(r.firstSector)..+\(r.sectors) lie past the end of the \(sectors)-sector disk")
                }
                guard Disk.merged(d.ranges) == d.ranges else { throw fail("disk \(d.diskGUID): ranges overlap or are out of order") }
                guard d.byteCount <= MetadataBackup.maxBytesPerDisk else { throw fail("disk \(d.diskGUID): ranges too large") }
                manifest.disks.append(d)
                current = nil
            default: throw fail("unknown line \(LDMName(line).display)")
            }
        }
        guard current == nil else { throw BackupError("\(source): disk \(current!.diskGUID) has no end line") }
        guard sawGroup, !manifest.disks.isEmpty else { throw BackupError("\(source): no group or no disks") }
        return manifest
    }
}
