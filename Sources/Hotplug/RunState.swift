import DeviceMapper
import DMTable
import LDM
import BlockDevices
import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// The helper's state under /run/ldmctl (tmpfs: gone at reboot, as the
/// devices it describes are):
///
///     lock                 flock(2) held while records change (see `locked`)
///     disks/MAJ:MIN        one RecordedDisk per LDM disk present
///     volumes/DM-UUID      one VolumeInfo per volume the helper activated (or queued)
///     timers/GROUP-GUID    one TimerRecord per armed degraded-start timer
///     partitions/MAJ:MIN/START-SIZE  udev properties of the disk's kernel
///                          partitions, in udev's own format (IMPORT{file})
///     reads                one line per disk event: "MAJ:MIN ACTION BYTES" metadata bytes read
///     log                  what the helper did and why, one line per message
///
/// disks, volumes and timers are all `RunRecord`s, one format. Files are
/// written to a temporary name and renamed, so a reader sees the old or
/// the new content, never a mix.
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
    /// after it (`HotplugAction.startsProcess`).
    ///
    /// Why this is not the Activator's lock (/run/ldmctl.lock): creating a
    /// device-mapper device waits for udev to process it, and that needs a
    /// free udev worker. The Activator's lock is held across those waits
    /// (up to its 120 s bound); this one is taken by every udev worker that
    /// runs the helper. With one lock, a burst of disk events can put every
    /// worker in line behind an activation that waits for a worker: the
    /// boot hang of issue 10, until the timeouts. Two locks, each with one
    /// rule: this one is never held across a wait on udev or systemd; the
    /// Activator's is never taken by a udev worker except to remove
    /// devices, which does not wait for udev there (udev sync off).
    public func locked<T>(timeout: Double = RunState.lockTimeout, _ body: () throws -> T) throws -> T {
        prepare()
        let lock: FileLock
        do throws(FileLock.Failure) { lock = try FileLock(path: lockPath, timeout: timeout) } catch {
            throw HotplugError("\(error)")
        }
        defer { lock.release() }
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
        try writeAtomically(p, v.encoded())
    }

    public func loadVolume(_ uuid: String) -> VolumeInfo? {
        guard let p = volumePath(uuid), let bytes = readFile(p) else { return nil }
        return VolumeInfo.decode(bytes)
    }

    public func removeVolume(_ uuid: String) {
        if let p = volumePath(uuid) { unlink(p) }
    }

    public func allVolumes() -> [VolumeInfo] {
        stateEntries(volumesDir).filter { !$0.hasPrefix(".") }.sorted().compactMap(loadVolume)
    }

    // MARK: Timers

    public func timerPath(_ group: GUID) -> String { "\(timersDir)/\(group.text)" }

    public func loadTimer(_ group: GUID) -> TimerRecord? {
        guard let bytes = readFile(timerPath(group), limit: 4096),
              let r = RunRecord.decode(bytes, kind: TimerRecord.kind), let t = TimerRecord(r), t.group == group else { return nil }
        return t
    }

    public func saveTimer(_ t: TimerRecord) throws {
        try writeAtomically(timerPath(t.group), t.record().encoded() ?? [])
    }

    /// True if there was one.
    @discardableResult
    public func removeTimer(_ group: GUID) -> Bool { unlink(timerPath(group)) == 0 }

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

    static let kind = "volume"

    /// A `RunRecord` of kind `volume` (every value is device-safe).
    public func encoded() -> [UInt8] {
        RunRecord(kind: Self.kind, fields: [
            ("uuid", uuid), ("name", dmName), ("group-guid", groupGUID.text), ("group", group), ("volume", volume),
            ("type", type), ("drive-hint", driveHint), ("state", state.rawValue),
            ("degraded", degraded ? "1" : "0"), ("late-member-noted", lateMemberNoted ? "1" : "0"),
        ] + lostDisks.map { ("lost-disk", $0) }).encoded() ?? []
    }

    public static func decode(_ bytes: [UInt8]) -> VolumeInfo? {
        guard let f = RunRecord.decode(bytes, kind: kind), f.tail.isEmpty,
              let uuid = f.value("uuid"), let name = f.value("name"), let guid = f.value("group-guid").flatMap({ GUID($0) }),
              let group = f.value("group"), let volume = f.value("volume"), let type = f.value("type"),
              let state = f.value("state").flatMap(State.init(rawValue:)) else { return nil }
        return VolumeInfo(uuid: uuid, dmName: name, groupGUID: guid, group: group, volume: volume, type: type,
                          driveHint: f.value("drive-hint") ?? "", state: state, degraded: f.value("degraded") == "1",
                          lateMemberNoted: f.value("late-member-noted") == "1", lostDisks: f.values("lost-disk"))
    }
}

public struct HotplugError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

// MARK: Small helpers (the POSIX underneath is SystemIO's)

func errnoText() -> String { SystemIO.describe(errno) }

func writeFD(_ fd: Int32, _ text: String) {
    SystemIO.writeAll(fd, Array(text.utf8))
}

func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
    let tmp = "\(path).tmp\(getpid())"
    do {
        try SystemIO.writeFile(tmp, bytes)
    } catch {
        unlink(tmp)
        throw HotplugError("cannot write \(tmp): \(error)")
    }
    guard rename(tmp, path) == 0 else {
        let reason = errnoText()
        unlink(tmp)
        throw HotplugError("cannot write \(path): \(reason)")
    }
}

func readFile(_ path: String, limit: Int = 16 << 20) -> [UInt8]? {
    SystemIO.readFile(path, limit: limit)
}

/// Entries of a state directory, without the temporary files of writes in
/// progress (see `writeAtomically`).
func stateEntries(_ path: String) -> [String] {
    ((try? SystemIO.listDirectory(path)) ?? []).filter { !$0.contains(".tmp") }
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
func monotonicSeconds() -> Double { SystemIO.monotonicSeconds() }
