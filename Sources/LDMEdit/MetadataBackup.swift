#if canImport(Glibc)
import Glibc
#endif
import LDM
import SystemIO

/// A copy of the LDM database area of every disk of a group, taken before
/// ldmctl writes to it, and put back byte for byte by `restore-metadata`.
///
/// A backup is a directory: one file per disk (`disk-<disk guid>.img`, the
/// saved sector ranges one after another) and a text manifest (see
/// `BackupManifest`) written last, so a directory with a manifest is a
/// whole backup.
public enum MetadataBackup {
    /// Where backups go unless `--backup DIR` says otherwise:
    /// `<root>/<group guid>/<UTC time>/`.
    public static let defaultRoot = "/var/lib/ldmctl/backup"
    static let manifestName = "manifest"
    /// Bound on what one disk's backup may hold. Windows' areas are 1 MiB
    /// (plus one sector on MBR disks); a GPT metadata partition named by an
    /// untrusted table is refused past this rather than read whole.
    static let maxBytesPerDisk: UInt64 = 16 << 20

    /// Saves the database area of every member (all of one group) into
    /// `directory`, or a new directory under `defaultRoot` when nil.
    /// Refuses to overwrite: an existing directory must be empty of backup
    /// files, and every file is created exclusively. Files and directories
    /// are synced. Returns the backup directory.
    @discardableResult
    public static func save(members: [DiskMetadata], to directory: String? = nil,
                            version: String = "ldmctl", now: time_t = time(nil)) throws(BackupError) -> String {
        guard let first = members.first else { throw BackupError("no disks to back up") }
        let group = first.privateHeader.groupGUID
        for m in members where m.privateHeader.groupGUID != group {
            throw BackupError("\(m.device.display): belongs to disk group \(m.privateHeader.groupGUID), not \(group): one backup holds one group")
        }
        var seen = Set<GUID>()
        for m in members where !seen.insert(m.privateHeader.diskGUID).inserted {
            throw BackupError("\(m.device.display): disk \(m.privateHeader.diskGUID) is named twice")
        }
        let disks = try members.map { m throws(BackupError) in try BackupManifest.Disk(m) }

        let dir = try makeDirectory(directory, group: group, now: now)
        var manifest = BackupManifest(version: version, created: isoTime(now), group: group, disks: [])
        for (member, var disk) in zip(members, disks) {
            let device = try RawDisk(path: member.device, writable: false)
            var bytes: [UInt8] = []
            for r in disk.ranges {
                bytes += try device.read(at: r.firstSector * UInt64(disk.sectorSize), count: Int(r.sectors) * disk.sectorSize)
            }
            disk.sha256 = SHA256.hex(bytes)
            try writeNew("\(dir)/\(disk.fileName)", bytes)
            manifest.disks.append(disk)
        }
        // The manifest last, under a temporary name then renamed: a
        // directory with a manifest holds a complete backup.
        let temporary = "\(dir)/\(manifestName).partial"
        try writeNew(temporary, Array(manifest.text.utf8))
        guard rename(temporary, "\(dir)/\(manifestName)") == 0 else {
            throw BackupError("\(LDMName(dir).display): cannot name the manifest: \(Errno.current)")
        }
        try syncDirectory(dir)
        return dir
    }

    /// Creates the backup directory (and its parents, mode 0700). A given
    /// directory may exist if it holds no manifest; the default one is
    /// made anew, with a suffix when two backups fall in one second.
    static func makeDirectory(_ given: String?, group: GUID, now: time_t) throws(BackupError) -> String {
        if let given {
            guard !given.isEmpty else { throw BackupError("--backup: empty directory name") }
            try makeParents(given)
            if mkdir(given, 0o700) != 0 {
                let e = Errno.current
                guard e.rawValue == EEXIST, isDirectory(given) else {
                    throw BackupError("\(LDMName(given).display): cannot create the backup directory: \(e)")
                }
                if access("\(given)/\(manifestName)", F_OK) == 0 {
                    throw BackupError("\(LDMName(given).display): already holds a backup; not overwritten")
                }
            }
            try syncDirectory(parent(of: given))
            return given
        }
        let base = "\(defaultRoot)/\(group.text)/\(compactTime(now))"
        try makeParents(base)
        for n in 0..<100 {
            let candidate = n == 0 ? base : "\(base)-\(n)"
            if mkdir(candidate, 0o700) == 0 {
                try syncDirectory(parent(of: candidate))
                return candidate
            }
            let e = Errno.current
            guard e.rawValue == EEXIST else {
                throw BackupError("\(LDMName(candidate).display): cannot create the backup directory: \(e)")
            }
        }
        throw BackupError("\(LDMName(base).display): too many backups in one second")
    }

    /// `mkdir -p` of the parents of `path`, mode 0700.
    static func makeParents(_ path: String) throws(BackupError) {
        var prefix = ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        for (i, part) in parts.enumerated() {
            prefix += (i == 0 ? "" : "/") + part
            if prefix.isEmpty || part.isEmpty || part == "." || part == ".." { continue }
            if mkdir(prefix, 0o700) != 0, errno != EEXIST {
                throw BackupError("\(LDMName(prefix).display): cannot create directory: \(Errno.current)")
            }
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// Creates `path` (never replacing a file), writes `bytes`, syncs.
    static func writeNew(_ path: String, _ bytes: [UInt8]) throws(BackupError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BackupError("\(LDMName(path).display): cannot create: \(Errno.current)") }
        defer { close(fd) }
        guard SystemIO.writeAll(fd, bytes), fsync(fd) == 0 else {
            throw BackupError("\(LDMName(path).display): cannot write: \(Errno.current)")
        }
    }

    static func syncDirectory(_ path: String) throws(BackupError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw BackupError("\(LDMName(path).display): cannot open directory: \(Errno.current)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw BackupError("\(LDMName(path).display): cannot sync directory: \(Errno.current)") }
    }

    static func utc(_ t: time_t) -> tm {
        var t = t
        var out = tm()
        gmtime_r(&t, &out)
        return out
    }

    static func pad(_ n: Int32, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// `20261202T073000Z`: sorts by time, no characters a shell quotes.
    static func compactTime(_ t: time_t) -> String {
        let u = utc(t)
        return pad(u.tm_year + 1900, 4) + pad(u.tm_mon + 1, 2) + pad(u.tm_mday, 2) + "T"
            + pad(u.tm_hour, 2) + pad(u.tm_min, 2) + pad(u.tm_sec, 2) + "Z"
    }

    static func isoTime(_ t: time_t) -> String {
        let u = utc(t)
        return pad(u.tm_year + 1900, 4) + "-" + pad(u.tm_mon + 1, 2) + "-" + pad(u.tm_mday, 2) + "T"
            + pad(u.tm_hour, 2) + ":" + pad(u.tm_min, 2) + ":" + pad(u.tm_sec, 2) + "Z"
    }
}

/// Why a backup or restore could not be done; the message names the disk
/// or file, already escaped for printing.
public struct BackupError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A disk or image opened for the backup's reads and the restore's writes,
/// with reads and writes that retry on EINTR and never come back short.
final class RawDisk {
    let path: DevicePath
    let fd: Int32
    let byteCount: UInt64
    let isBlockDevice: Bool

    /// Writable block devices are opened O_EXCL: the kernel refuses while a
    /// device-mapper device, a mount or md holds the disk.
    init(path: DevicePath, writable: Bool) throws(BackupError) {
        var st = stat()
        let isBlock = path.withCString { $0.map { stat($0, &st) == 0 && st.st_mode & S_IFMT == S_IFBLK } ?? false }
        var flags = O_CLOEXEC | (writable ? O_RDWR : O_RDONLY)
        if writable && isBlock { flags |= O_EXCL }
        let fd = path.withCString { $0.map { open($0, flags) } ?? -1 }
        guard fd >= 0 else {
            let busy = errno == EBUSY ? " (in use: an active volume, a mount or another holder)" : ""
            throw BackupError("\(path.display): cannot open\(writable ? " for writing" : ""): \(Errno.current)\(busy)")
        }
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw BackupError("\(path.display): cannot stat: \(Errno.current)")
        }
        self.path = path
        self.fd = fd
        self.isBlockDevice = st.st_mode & S_IFMT == S_IFBLK
        if isBlockDevice {
            var size: UInt64 = 0
            _ = ioctl(fd, 0x8008_1272, &size)   // BLKGETSIZE64
            byteCount = size
        } else {
            byteCount = UInt64(st.st_size)
        }
    }

    deinit { close(fd) }

    func read(at offset: UInt64, count: Int) throws(BackupError) -> [UInt8] {
        guard offset <= byteCount, UInt64(count) <= byteCount - offset else {
            throw BackupError("\(path.display): bytes \(offset)..+\(count) lie past the end of the disk (\(byteCount) bytes)")
        }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BackupError("\(path.display): read failed at byte \(offset + UInt64(done)): \(n == 0 ? "end of file" : "\(Errno.current)")") }
            done += n
        }
        return out
    }

    func write(_ bytes: [UInt8], at offset: UInt64) throws(BackupError) {
        guard offset <= byteCount, UInt64(bytes.count) <= byteCount - offset else {
            throw BackupError("\(path.display): bytes \(offset)..+\(bytes.count) lie past the end of the disk (\(byteCount) bytes)")
        }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BackupError("\(path.display): write failed at byte \(offset + UInt64(done)): \(Errno.current)") }
            done += n
        }
    }

    /// BLKRRPART on a block device; nil when done or not a block device.
    func rereadPartitions() -> String? {
        guard isBlockDevice, ioctl(fd, 0x125F) != 0 else { return nil }   // BLKRRPART
        return "\(path.display): the kernel did not re-read its partitions: \(Errno.current)"
    }

    /// Flushes the writes to the disk and drops the cached pages, so a read
    /// that follows comes from the disk, not from memory.
    func sync() throws(BackupError) {
        guard fsync(fd) == 0 else { throw BackupError("\(path.display): fsync failed: \(Errno.current)") }
        if isBlockDevice { _ = ioctl(fd, 0x1261) }   // BLKFLSBUF
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
    }
}
