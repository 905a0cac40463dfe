import SystemIO
import LDM
#if canImport(Glibc)
import Glibc
#endif

/// Starting work outside the udev worker: through systemd when it is the
/// init system (as lvm2's event activation does), else as a detached
/// process of our own.
public enum Launcher {
    /// sd_booted(3): systemd is PID 1.
    public static var systemdIsInit: Bool { access("/run/systemd/system", F_OK) == 0 }

    public static var systemdRun: String? {
        ["/usr/bin/systemd-run", "/bin/systemd-run"].first { access($0, X_OK) == 0 }
    }

    public static var systemctl: String? {
        ["/usr/bin/systemctl", "/bin/systemctl"].first { access($0, X_OK) == 0 }
    }

    /// Transient units are started by udev events and by the boot unit,
    /// which runs before sysinit.target: with systemd's default
    /// dependencies (After=sysinit.target basic.target) they would wait
    /// for the end of early boot, and so would every volume and fstab
    /// line behind them. Like systemd's own early units, they only stop
    /// at shutdown.
    public static let earlyBootProperties = ["DefaultDependencies=no", "Conflicts=shutdown.target", "Before=shutdown.target"]

    /// `systemd-run` arguments for a transient service running `command`.
    public static func serviceArguments(_ run: String, unit: String, description: String, command: [String]) -> [String] {
        [run, "--no-block", "--collect", "--unit=\(unit)", "--description=\(description)"]
            + earlyBootProperties.map { "--property=\($0)" } + command
    }

    /// `systemd-run` arguments for a transient timer that runs `command`
    /// (as a service of the same name) `seconds` from now.
    public static func timerArguments(_ run: String, unit: String, seconds: Int, description: String, command: [String]) -> [String] {
        [run, "--no-block", "--collect", "--unit=\(unit)", "--on-active=\(seconds)", "--timer-property=AccuracySec=1s",
         "--description=\(description)"]
            + earlyBootProperties.map { "--timer-property=\($0)" } + earlyBootProperties.map { "--property=\($0)" } + command
    }

    /// This program's own path, to run it again.
    public static var selfPath: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return CommandLine.arguments.first ?? "ldmctl" }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A unit name from our own safe strings (GUIDs, `LDM-` UUIDs): only
    /// `A-Za-z0-9-` survive; anything else is dropped.
    public static func unitName(_ prefix: String, _ key: String) -> String {
        let body = String(key.unicodeScalars.filter {
            ($0.value >= 48 && $0.value <= 57) || ($0.value >= 65 && $0.value <= 90)
                || ($0.value >= 97 && $0.value <= 122) || $0 == "-"
        }.prefix(200))
        return "\(prefix)-\(body)"
    }

    /// Runs `argv` and waits at most `timeout` seconds (then kills it);
    /// returns its exit status, or -1 if it failed to start, was killed or
    /// timed out. Called from udev workers, which udev kills after 180 s.
    @discardableResult
    public static func run(_ argv: [String], timeout: Double = 20) -> Int32 {
        guard let pid = spawn(argv, detach: false) else { return -1 }
        var status: Int32 = 0
        let deadline = SystemIO.monotonicSeconds() + timeout
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { return -1 }
            if SystemIO.monotonicSeconds() >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return -1
            }
            usleep(10_000)
        }
        // WIFEXITED / WEXITSTATUS
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    /// Starts `argv` in its own session with stdio on /dev/null. With
    /// `detach`, nobody waits for it (it is reparented to init).
    @discardableResult
    public static func spawn(_ argv: [String], detach: Bool) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // POSIX_SPAWN_SETSID (glibc, needs _GNU_SOURCE, so not imported)
        if detach { posix_spawnattr_setflags(&attr, 0x80) }
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, &cargs, environ)
        return rc == 0 ? pid : nil
    }
}
