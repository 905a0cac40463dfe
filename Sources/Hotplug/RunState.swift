import DeviceMapper
import DMTable
import LDM
import BlockDevices
#if canImport(Glibc)
import Glibc
#endif

/// The helper's state under /run/ldmctl (tmpfs: gone at reboot, as the
/// devices it describes are):
///
///     lock                 flock(2) held while records change and volumes are (de)activated
///     disks/MAJ:MIN        one RecordedDisk per LDM disk present
///     partitions/MAJ:MIN/START-SIZE  udev properties of the disk's kernel partitions
///     volumes/DM-UUID      one VolumeInfo per volume the helper activated (or queued)
///     timers/GROUP-GUID    a degraded-start timer is armed for the group (its deadline)
///     reads                one line per disk event: "MAJ:MIN ACTION BYTES" metadata bytes read
///     log                  what the helper did and why, one line per message
///
/// Files are written to a temporary name and renamed, so a reader sees
/// the old or the new content, never a mix.
public struct RunState: Sendable {
    public var root: String

    public static let defaultRoot = "/run/ldmctl"

    public init(root: String = RunState.defaultRoot) { self.root = root }

    public var disksDir: String { "\(root)/disks" }
    public var volumesDir: String { "\(root)/volumes" }
    public var timersDir: String { "\(root)/timers" }
    public var lockPath: String { "\(root)/lock" }
    public var logPath: String { "\(root)/log" }
    public var readsPath: String { "\(root)/reads" }

    public func prepare() {
        for d in [root, disksDir, volumesDir, timersDir] { mkdir(d, 0o755) }
    }

    // MARK: Lock

    /// How long `locked` waits for another ldmctl to let go of the lock.
    /// Holders never wait for udev or systemd while they hold it, so a
    /// long wait means something is stuck: a udev worker must give up
    /// well before udev kills it (180 s) and say so.
    public static let lockTimeout = 30.0

    /// Runs `body` holding the state lock (exclusive). Never start other
    /// programs or wait for udev in `body`: decide under the lock, act
    /// after it.
    public func locked<T>(timeout: Double = RunState.lockTimeout, _ body: () throws -> T) throws -> T {
        prepare()
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HotplugError("cannot open \(lockPath): \(errnoText())") }
        defer { close(fd) }
        let deadline = monotonicSeconds() + timeout
        var pause: UInt32 = 1000   // microseconds, doubled up to 100 ms
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            switch errno {
            case EINTR: continue
            case EWOULDBLOCK:
                guard monotonicSeconds() < deadline else {
                    throw HotplugError("gave up waiting for \(lockPath) after \(Int(timeout)) s: another ldmctl holds it")
                }
                usleep(pause)
                pause = min(pause * 2, 100_000)
            default:
                throw HotplugError("cannot lock \(lockPath): \(errnoText())")
            }
        }
        return try body()
    }

    // MARK: Disk records

    public func recordPath(_ n: DeviceNumber) -> String { "\(disksDir)/\(n)" }

    public func saveRecord(_ r: RecordedDisk) throws {
        try savePartitionProperties(r)
        try writeAtomically(recordPath(r.number), r.encoded())
    }

    /// partitions/MAJ:MIN/START-SIZE: udev properties for the disk's
    /// kernel partitions (512-byte sectors, as sysfs gives them), imported
    /// by 56-ldmctl-members.rules with IMPORT{file} — no process per
    /// partition event. Keyed by the parent disk, rewritten on each of its
    /// events, removed with its record.
    public func partitionsDir(_ n: DeviceNumber) -> String { "\(root)/partitions/\(n)" }

    func savePartitionProperties(_ r: RecordedDisk) throws {
        mkdir("\(root)/partitions", 0o755)
        let dir = partitionsDir(r.number)
        mkdir(dir, 0o755)
        var wanted: [String: [UInt8]] = [:]
        for p in r.partitions {
            let key = "\(p.start)-\(p.size)"
            // A volume's role wins over the container that holds it.
            if wanted[key] != nil && p.role == "container" { continue }
            var props = UdevProperties()
            props.set("LDM_PARTITION_ROLE", p.role)
            props.set("LDM_PARTITION_USABLE", p.role == "simple" ? "1" : "0")
            props.set("LDM_GROUP_GUID", r.groupGUID.text)
            wanted[key] = Array(props.text.utf8)
        }
        for name in stateEntries(dir) where wanted[name] == nil { unlink("\(dir)/\(name)") }
        for (name, bytes) in wanted { try writeAtomically("\(dir)/\(name)", bytes) }
    }

    public func loadRecord(_ n: DeviceNumber) -> RecordedDisk? {
        readFile(recordPath(n)).flatMap(RecordedDisk.decode)
    }

    public func removeRecord(_ n: DeviceNumber) {
        unlink(recordPath(n))
        let dir = partitionsDir(n)
        for name in stateEntries(dir) { unlink("\(dir)/\(name)") }
        rmdir(dir)
    }

    /// Every record, by device number; unreadable files are skipped.
    public func allRecords() -> [RecordedDisk] {
        stateEntries(disksDir).compactMap(DeviceNumber.init).sorted().compactMap(loadRecord)
    }

    // MARK: Volume files

    public func volumePath(_ uuid: String) -> String? {
        // DM UUIDs of ours are GUIDs, dashes, "clone<k>", "v<id>": nothing else becomes a file name.
        guard DeviceNames.parse(uuid: uuid) != nil else { return nil }
        return "\(volumesDir)/\(uuid)"
    }

    public func saveVolume(_ v: VolumeInfo) throws {
        guard let p = volumePath(v.uuid) else { throw HotplugError("unsafe DM UUID") }
        try writeAtomically(p, Array(v.encoded().utf8))
    }

    public func loadVolume(_ uuid: String) -> VolumeInfo? {
        guard let p = volumePath(uuid), let bytes = readFile(p) else { return nil }
        return VolumeInfo.decode(String(decoding: bytes, as: UTF8.self))
    }

    public func removeVolume(_ uuid: String) {
        if let p = volumePath(uuid) { unlink(p) }
    }

    public func allVolumes() -> [VolumeInfo] {
        stateEntries(volumesDir).filter { !$0.hasPrefix(".") }.sorted().compactMap(loadVolume)
    }

    // MARK: Timers

    public func timerPath(_ group: GUID) -> String { "\(timersDir)/\(group.text)" }

    // MARK: Logs

    /// Appends one line (already display-safe) to `log`, and says it on
    /// stderr (udev's debug log) and in syslog or the kernel log.
    public func log(_ message: String) {
        let line = "\(timestamp()) ldmctl[\(getpid())]: \(message)\n"
        append(logPath, line)
        writeFD(2, "ldmctl: \(message)\n")
        SystemLog.notice(message)
    }

    public func recordRead(_ n: DeviceNumber, action: String, bytes: Int) {
        append(readsPath, "\(n) \(action) \(bytes)\n")
    }

    func append(_ path: String, _ text: String) {
        prepare()
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        writeFD(fd, text)
        close(fd)
    }
}

/// A volume the helper activated (or asked systemd to), as udev's rule for
/// the dm device and `last-resort` need it. Values are device-safe.
public struct VolumeInfo: Sendable, Equatable {
    public enum State: String, Sendable { case queued, active, failed }

    public var uuid: String
    public var dmName: String
    public var groupGUID: GUID
    /// `DeviceNames.groupPart`: device-safe group name, `.clone<k>` for clones.
    public var group: String
    /// Device-safe volume name.
    public var volume: String
    public var type: String
    /// Device-safe drive-letter hint (`E:` becomes `E_x3a`), or empty.
    public var driveHint: String
    public var state: State
    /// Started without every member.
    public var degraded: Bool
    /// The user was told that a missing member came back.
    public var lateMemberNoted: Bool
    /// Disks lost while the volume ran on without them, each as
    /// `<device-safe disk name> <disk GUID> <device>` (for `ldmctl status`).
    public var lostDisks: [String] = []

    public func encoded() -> String {
        "uuid \(uuid)\nname \(dmName)\ngroup-guid \(groupGUID.text)\ngroup \(group)\nvolume \(volume)\ntype \(type)\n"
            + "drive-hint \(driveHint)\nstate \(state.rawValue)\ndegraded \(degraded ? 1 : 0)\nlate-member-noted \(lateMemberNoted ? 1 : 0)\n"
            + lostDisks.map { "lost-disk \($0)\n" }.joined()
    }

    public static func decode(_ text: String) -> VolumeInfo? {
        var f: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let kv = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if kv.count == 2 { f[kv[0]] = kv[1] }
        }
        guard let uuid = f["uuid"], let name = f["name"], let guid = f["group-guid"].flatMap({ GUID($0) }),
              let group = f["group"], let volume = f["volume"], let type = f["type"],
              let state = f["state"].flatMap(State.init(rawValue:)) else { return nil }
        let lost = text.split(separator: "\n").filter { $0.hasPrefix("lost-disk ") }.map { String($0.dropFirst(10)) }
        return VolumeInfo(uuid: uuid, dmName: name, groupGUID: guid, group: group, volume: volume, type: type,
                          driveHint: f["drive-hint"] ?? "", state: state, degraded: f["degraded"] == "1",
                          lateMemberNoted: f["late-member-noted"] == "1", lostDisks: lost)
    }
}

public struct HotplugError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

// MARK: Small POSIX helpers

func errnoText() -> String { String(cString: strerror(errno)) }

func writeFD(_ fd: Int32, _ text: String) {
    writeAll(fd, Array(text.utf8))
}

@discardableResult
func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
        if n < 0, errno == EINTR { continue }
        if n <= 0 { return false }
        done += n
    }
    return true
}

func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
    let tmp = "\(path).tmp\(getpid())"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw HotplugError("cannot write \(tmp): \(errnoText())") }
    let ok = writeAll(fd, bytes)
    close(fd)
    guard ok, rename(tmp, path) == 0 else {
        unlink(tmp)
        throw HotplugError("cannot write \(path): \(errnoText())")
    }
}

func readFile(_ path: String, limit: Int = 16 << 20) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while out.count <= limit {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n < 0, errno == EINTR { continue }
        if n < 0 { return nil }
        if n == 0 { return out }
        out += buffer[0..<n]
    }
    return nil
}

/// Entries of a state directory, without the temporary files of writes in
/// progress (see `writeAtomically`).
func stateEntries(_ path: String) -> [String] {
    SystemDisks.listDirectory(path).filter { !$0.contains(".tmp") }
}

func timestamp() -> String {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    let ms = ts.tv_nsec / 1_000_000
    return "\(ts.tv_sec).\(ms < 10 ? "00" : ms < 100 ? "0" : "")\(ms)"
}

/// syslog when a syslog socket exists (journald, rsyslog), else the
/// kernel log, which every system has (and which dmesg shows).
enum SystemLog {
    static func notice(_ message: String) {
        if access("/dev/log", W_OK) == 0 {
            message.withCString { text in
                "ldmctl".withCString { ident in
                    openlog(ident, LOG_PID, LOG_DAEMON)
                    withVaList([text]) { vsyslog(LOG_NOTICE, "%s", $0) }
                    closelog()
                }
            }
        } else {
            let fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { return }
            // <29>: facility daemon (3), level notice (5).
            writeFD(fd, "<29>ldmctl[\(getpid())]: \(message)\n")
            close(fd)
        }
    }
}

/// Monotonic seconds, for bounded waits (a wall clock may jump at boot).
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
