#if canImport(Glibc)
import SystemIO
import Glibc
#endif
import Udev
import CMonitor

/// `ldmctl monitor`: reports the current state once, then sleeps in poll()
/// on udev's netlink monitor (disks arriving and going), device-mapper's
/// event fd (a RAID leg failing, a resync ending, devices created and
/// removed) and a signalfd (SIGCHLD of --exec programs, SIGTERM). Each
/// wake-up re-reads the state and reports the difference, so every change
/// is reported once and a monitor started during a burst of events ends
/// with the right state. No timer: idle, it uses no CPU.
public final class MonitorLoop {
    public struct Options: Sendable {
        public var json: Bool
        public var program: String?
        public var oneshot: Bool
        public init(json: Bool, program: String?, oneshot: Bool) {
            self.json = json
            self.program = program
            self.oneshot = oneshot
        }
    }

    let options: Options
    let warn: (String) -> Void
    let observer = SystemObserver()
    var state = MonitorState.empty
    var lastErrors: [String] = []
    var runner: ProgramRunner?
    var stdoutClosed = false

    public init(options: Options, warn: @escaping (String) -> Void) {
        self.options = options
        self.warn = warn
        if let program = options.program { runner = ProgramRunner(path: program, warn: warn) }
    }

    /// Exit status: for --oneshot 1 when a volume is degraded or failed;
    /// otherwise 0 after SIGTERM/SIGINT, 1 when it cannot watch at all.
    public func run() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        var signals = sigset_t()
        sigemptyset(&signals)
        for s in [SIGCHLD, SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, s) }
        sigprocmask(SIG_BLOCK, &signals, nil)
        let signalFD = cmonitor_signalfd(&signals)

        // Watch before the first look, so nothing falls between the two.
        var udevMonitor: UdevMonitor?
        var dmFD: Int32 = -1
        if !options.oneshot {
            udevMonitor = UdevMonitor(source: Udev.isRunning ? "udev" : "kernel")
            if udevMonitor == nil {
                warn("cannot watch block devices through udev\(Udev.loadError.map { " (\($0))" } ?? ""); disks arriving or going are seen only with device-mapper events")
            }
            dmFD = dmevents_open()
            if dmFD >= 0, dmevents_arm(dmFD) != 0 {
                close(dmFD)
                dmFD = -1
            }
            if dmFD < 0 { warn("cannot watch device-mapper events (/dev/mapper/control, kernel 4.14 or later); volume health changes are seen only with disk events") }
            if udevMonitor == nil && dmFD < 0 { return 1 }
        }

        let problems = update()
        if options.oneshot {
            // Let the programs of the initial report finish.
            while let r = runner, r.busy > 0 {
                var pfd = pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)
                _ = poll(&pfd, 1, -1)
                while cmonitor_next_signal(signalFD) > 0 {}
                r.reap()
            }
            return problems ? 1 : 0
        }

        while !stdoutClosed {
            var fds = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: udevMonitor?.fd ?? -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: dmFD, events: Int16(POLLIN), revents: 0)]
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 {
                if errno == EINTR { continue }
                warn("poll: \(SystemIO.describe(errno))")
                return 1
            }
            var changed = false
            if fds[0].revents != 0 {
                while case let signo = cmonitor_next_signal(signalFD), signo > 0 {
                    if signo == SIGCHLD { runner?.reap() } else { return 0 }
                }
            }
            if fds[2].revents != 0 {
                // Re-armed before looking, so an event during the look wakes us again.
                _ = dmevents_arm(dmFD)
                changed = true
            }
            if fds[1].revents != 0, let m = udevMonitor {
                settle(m)
                changed = true
            }
            if changed { _ = update() }
        }
        return 0
    }

    /// Reads every event of a burst (16 disks and their partitions arrive
    /// within milliseconds), so one look covers it: returns once udev has
    /// been quiet for 200 ms, or after 5 s of continuous events.
    private func settle(_ m: UdevMonitor) {
        var deadline = 25
        repeat {
            while m.receive() != nil {}
            var pfd = pollfd(fd: m.fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 200) <= 0 { return }
            deadline -= 1
        } while deadline > 0
    }

    /// Looks at the system and reports what changed; true if anything is
    /// degraded or failed now.
    @discardableResult
    func update() -> Bool {
        let (observed, errors, unreadable) = observer.observe()
        let new = observed.holding(unreadable, from: state)
        for e in errors where !lastErrors.contains(e) { warn(e) }
        lastErrors = errors
        let events = EventDiffer.events(from: state, to: new)
        state = new
        for e in events { emit(e) }
        return new.groups.contains { $0.volumes.contains { $0.active && $0.health != .ok } }
    }

    func emit(_ event: MonitorEvent) {
        let timed = TimedEvent(event, time: TimedEvent.now())
        write(line: (options.json ? timed.json : timed.text) + "\n")
        runner?.run(timed)
    }

    private func write(line: String) {
        guard !stdoutClosed else { return }
        if !SystemIO.writeAll(1, Array(line.utf8)) { stdoutClosed = true }
    }
}
