#if canImport(Glibc)
import Glibc
#endif
import Monitor

struct MonitorCommand: Command {
    static let name = "monitor"
    static let summary = "Report disks and volumes changing: arrivals, failures, resyncs."
    static let usage = "ldmctl monitor [--json] [--exec PROGRAM] [--oneshot]"
    static let discussion = """
        Reports the current state once (each present disk, each group's
        completeness, each active volume and any volume already degraded), then
        one line per change as it happens: disk-added, disk-removed,
        group-complete, group-incomplete, volume-created, volume-deleted (the
        group's configuration changed), volume-activated, volume-deactivated,
        volume-degraded (naming the member), volume-failed, volume-recovered,
        resync-started, resync-finished. Health is the kernel's own status of
        each dm-raid target. It sleeps on udev and device-mapper events: no
        polling. Stops on SIGTERM or SIGINT. See ldmctl(8), MONITOR EVENTS, for
        the fields.
        """
    static let options = [
        OptionSpec(long: "json", short: nil, kind: .flag, help: "One JSON object per line."),
        OptionSpec(long: "exec", short: nil, kind: .value("PROGRAM"),
                   help: "Run PROGRAM (a path, no shell) per event with LDM_* in its environment."),
        OptionSpec(long: "oneshot", short: nil, kind: .flag,
                   help: "Report the current state and exit: 1 if a volume is degraded or failed."),
    ]

    let options: MonitorLoop.Options

    init(_ a: ParsedArguments) throws {
        guard a.positional.isEmpty else { throw UsageError(message: "monitor takes no DEVICE arguments") }
        let program = a.value("exec")
        if let program {
            // Run as given: no PATH search and no shell, so the path must
            // name an executable file now.
            guard program.contains("/") else {
                throw UsageError(message: "--exec needs a path to the program (with a /), not a name looked up in PATH")
            }
            guard access(program, X_OK) == 0 else {
                throw UsageError(message: "--exec \(LDMNameDisplay.safe(program)): not an executable file")
            }
        }
        options = MonitorLoop.Options(json: a.flag("json"), program: program, oneshot: a.flag("oneshot"))
    }

    func run() throws {
        let status = MonitorLoop(options: options, warn: { warn($0) }).run()
        if status != 0 { throw Failed() }
    }
}
