#if canImport(Glibc)
import Glibc
#endif
import LDM
import BlockDevices
import SystemIO

/// Putting a backup back: every disk the manifest names is found by its
/// disk GUID, checked to be that disk (group, size, sector size, where its
/// database is), and only then written, range by range, synced and read
/// back. Any mismatch refuses the whole restore before a byte is written.
public struct RestorePlan: Sendable {
    public struct Target: Sendable {
        public var disk: BackupManifest.Disk
        /// The disk found with that GUID, path exactly as given or scanned.
        public var path: DevicePath
        /// The saved bytes (the ranges back to back).
        public var bytes: [UInt8]
        /// How many of them differ from the disk now.
        public var differingBytes: Int
    }
    public var directory: String
    public var manifest: BackupManifest
    public var targets: [Target]

    /// What a restore would write, one line per range, for people.
    public var description: [String] {
        var lines = ["backup \(LDMName(directory).display): disk group \(manifest.group), taken \(manifest.created) by \(manifest.version)"]
        for t in targets {
            lines.append("\(t.path.display): disk \(t.disk.diskGUID) (backed up from \(t.disk.device)): \(t.differingBytes) of \(t.bytes.count) bytes differ")
            for r in t.disk.ranges {
                lines.append("  write sectors \(r.firstSector)..\(r.firstSector + r.sectors - 1) (\(r.sectors * UInt64(t.disk.sectorSize)) bytes at byte \(r.firstSector * UInt64(t.disk.sectorSize)))")
            }
        }
        return lines
    }
}

extension MetadataBackup {
    /// Reads the manifest and each disk's file, checking sizes and SHA-256.
    public static func load(_ directory: String) throws(BackupError) -> (BackupManifest, [GUID: [UInt8]]) {
        let path = "\(directory)/\(manifestName)"
        guard let text = SystemIO.readFile(path, limit: 1 << 20) else {
            throw BackupError("\(LDMName(path).display): cannot read the backup manifest: \(Errno.current)")
        }
        let manifest = try BackupManifest.parse(text, source: LDMName(path).display)
        var files: [GUID: [UInt8]] = [:]
        for d in manifest.disks {
            let file = "\(directory)/\(d.fileName)"
            guard let bytes = SystemIO.readFile(file, limit: Int(maxBytesPerDisk)) else {
                throw BackupError("\(LDMName(file).display): cannot read the backup of disk \(d.diskGUID)")
            }
            guard UInt64(bytes.count) == d.byteCount else {
                throw BackupError("\(LDMName(file).display): \(bytes.count) bytes, the manifest says \(d.byteCount): the backup is damaged")
            }
            guard SHA256.hex(bytes) == d.sha256 else {
                throw BackupError("\(LDMName(file).display): SHA-256 differs from the manifest's: the backup is damaged")
            }
            files[d.diskGUID] = bytes
        }
        return (manifest, files)
    }

    /// Finds and checks the disks of a backup among `candidates` (every
    /// whole disk of the system when empty). Reads only.
    public static func planRestore(from directory: String, candidates: [DevicePath],
                                   imageSectorSize: Int = 512) throws(BackupError) -> RestorePlan {
        let (manifest, files) = try load(directory)
        let opened = DiskScanner(imageSectorSize: imageSectorSize).open(candidates)
        if let error = opened.errors.first { throw BackupError(error) }

        // Which disk each candidate is, by its PRIVHEAD.
        var found: [GUID: [(FileSectorSource, PrivateHeader)]] = [:]
        for source in opened.sources {
            guard let header = identify(source, manifest) else { continue }
            found[header.diskGUID, default: []].append((source, header))
        }
        var targets: [RestorePlan.Target] = []
        for d in manifest.disks {
            guard let matches = found[d.diskGUID] else {
                throw BackupError("disk \(d.diskGUID) (backed up from \(d.device)) was not found\(candidates.isEmpty ? "" : " among the devices given"): nothing written")
            }
            guard matches.count == 1 else {
                throw BackupError("disk \(d.diskGUID) is on more than one device (\(matches.map(\.0.displayName).joined(separator: ", "))): a cloned disk? nothing written")
            }
            let (source, header) = matches[0]
            let name = source.displayName
            func mismatch(_ what: String) -> BackupError {
                BackupError("\(name): is disk \(d.diskGUID) but \(what): this backup does not belong to it; nothing written")
            }
            guard header.groupGUID == manifest.group else { throw mismatch("its disk group is \(header.groupGUID), the backup's is \(manifest.group)") }
            guard source.sectorSize == d.sectorSize else { throw mismatch("its sectors are \(source.sectorSize) bytes, the backup's \(d.sectorSize)") }
            guard source.byteCount == d.diskBytes else { throw mismatch("it is \(source.byteCount) bytes, the backed-up disk was \(d.diskBytes)") }
            guard header.configStart == d.database.firstSector, header.configSize == d.database.sectors else {
                throw mismatch("its database is at sector \(header.configStart) (+\(header.configSize)), the backup's at \(d.database.firstSector) (+\(d.database.sectors))")
            }
            let bytes = files[d.diskGUID]!
            var differing = 0
            var offset = 0
            for r in d.ranges {
                let count = Int(r.sectors) * d.sectorSize
                let now: [UInt8]
                do { now = try source.read(at: r.firstSector * UInt64(d.sectorSize), count: count) } catch {
                    throw BackupError("\(name): cannot read sectors \(r.firstSector)..+\(r.sectors): \(error)")
                }
                for i in 0..<count where now[i] != bytes[offset + i] { differing += 1 }
                offset += count
            }
            targets.append(RestorePlan.Target(disk: d, path: source.path, bytes: bytes, differingBytes: differing))
        }
        return RestorePlan(directory: directory, manifest: manifest, targets: targets)
    }

    /// The disk's PRIVHEAD: as the reader chooses it when the disk reads;
    /// else the first copy that parses where the PRIVHEADs are (sector 6 or
    /// the GPT's, and the two copies in each backed-up database), so a disk
    /// whose database is damaged can still be restored.
    static func identify(_ source: FileSectorSource, _ manifest: BackupManifest) -> PrivateHeader? {
        if let m = try? DiskMetadata.read(from: source) { return m.privateHeader }
        var lbas: [UInt64] = []
        if let table = try? PartitionTable.read(from: source) { lbas.append(table.privateHeaderLBA) }
        for d in manifest.disks where d.sectorSize == source.sectorSize {
            lbas += [d.database.firstSector + 1856 * 512 / UInt64(d.sectorSize), d.database.firstSector + d.database.sectors - 1]
        }
        for lba in lbas where lba < source.sectorCount {
            guard let sector = try? source.read(at: lba * UInt64(source.sectorSize), count: source.sectorSize) else { continue }
            if let h = try? PrivateHeader.parse(sector, device: source.displayName, location: "PRIVHEAD",
                                                sectorSize: source.sectorSize, diskSectors: source.sectorCount) {
                return h
            }
        }
        return nil
    }

    /// Writes every target's ranges, syncs, and reads them back; then asks
    /// the kernel to read each block device's partitions again (its LDM
    /// partitions follow the restored configuration). Returns what could
    /// not be re-read, one line per disk: not an error, the data is written.
    @discardableResult
    public static func restore(_ plan: RestorePlan) throws(BackupError) -> [String] {
        var notes: [String] = []
        for t in plan.targets {
            let disk = try RawDisk(path: t.path, writable: true)
            guard disk.byteCount == t.disk.diskBytes else {
                throw BackupError("\(t.path.display): is \(disk.byteCount) bytes now, the backup's disk \(t.disk.diskBytes): not written")
            }
            let size = UInt64(t.disk.sectorSize)
            var offset = 0
            for r in t.disk.ranges {
                let count = Int(r.sectors) * t.disk.sectorSize
                try disk.write(Array(t.bytes[offset..<offset + count]), at: r.firstSector * size)
                offset += count
            }
            try disk.sync()
            offset = 0
            for r in t.disk.ranges {
                let count = Int(r.sectors) * t.disk.sectorSize
                guard try disk.read(at: r.firstSector * size, count: count)[...] == t.bytes[offset..<offset + count] else {
                    throw BackupError("\(t.path.display): sectors \(r.firstSector)..+\(r.sectors) read back differently after the write")
                }
                offset += count
            }
            if let problem = disk.rereadPartitions() { notes.append(problem) }
        }
        return notes
    }
}
