#if canImport(Glibc)
import SystemIO
import Glibc
#endif

/// Runs `--exec PROGRAM` once per event, as `mdadm --monitor --program`
/// does, but never through a shell: posix_spawn of the path itself, with
/// the event's fields in the environment as exact bytes. Programs run
/// concurrently (at most `limit` at once, the rest wait in order), so a
/// slow or hanging one never holds up the monitor; they are reaped on
/// SIGCHLD by the loop.
public final class ProgramRunner {
    public let path: String
    let limit: Int
    private var running: [pid_t: String] = [:]
    private var waiting: [(env: [[UInt8]], what: String)] = []
    /// Waiting events beyond this are dropped (with a warning): a program
    /// that never finishes must not make the monitor grow without bound.
    let maxWaiting = 1024
    let warn: (String) -> Void

    public init(path: String, limit: Int = 8, warn: @escaping (String) -> Void) {
        self.path = path
        self.limit = limit
        self.warn = warn
    }

    public var busy: Int { running.count }

    public func run(_ event: TimedEvent) {
        let what = "\(event.event.kind.rawValue) at \(event.time)"
        if waiting.count >= maxWaiting {
            warn("\(path): \(maxWaiting) events already wait for it; not run for \(what)")
            return
        }
        waiting.append((event.environment, what))
        startWaiting()
    }

    /// Reaps finished programs (call on SIGCHLD) and starts waiting ones.
    public func reap() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { break }
            guard let what = running.removeValue(forKey: pid) else { continue }
            let exited = status & 0x7f == 0
            let code = (status >> 8) & 0xff
            if !exited {
                warn("\(path) was killed by signal \(status & 0x7f) (\(what))")
            } else if code != 0 {
                warn("\(path) exited with status \(code) (\(what))")
            }
        }
        startWaiting()
    }

    private func startWaiting() {
        while running.count < limit, !waiting.isEmpty {
            let (env, what) = waiting.removeFirst()
            spawn(env: env, what: what)
        }
    }

    private func spawn(env fields: [[UInt8]], what: String) {
        // The monitor's own environment without any LDM_ variable, then the
        // event's fields.
        var entries: [[UInt8]] = []
        var p = environ
        while let entry = p.pointee {
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self),
                                                  count: strlen(entry)))
            if !bytes.starts(with: Array("LDM_".utf8)) { entries.append(bytes) }
            p += 1
        }
        entries += fields

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // stdout may be the monitor's JSON stream: the program's output goes
        // to stderr (the journal under systemd) instead.
        posix_spawn_file_actions_adddup2(&actions, 2, 1)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // The loop blocks SIGCHLD/SIGTERM/SIGINT/SIGHUP and ignores SIGPIPE;
        // the program starts with neither.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let rc = withCStrings(entries) { envp in
            withCStrings([Array(path.utf8)]) { argv in
                posix_spawn(&pid, path, &actions, &attr, argv, envp)
            }
        }
        if rc != 0 {
            warn("cannot run \(path): \(SystemIO.describe(rc)) (\(what))")
            return
        }
        running[pid] = what
    }
}

/// A NULL-terminated array of C strings for the duration of `body`.
func withCStrings<R>(_ strings: [[UInt8]], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { bytes in
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
        p[bytes.count] = 0
        return p
    }
    pointers.append(nil)
    defer { for p in pointers { p?.deallocate() } }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}
