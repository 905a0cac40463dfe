import DeviceMapper
import Hotplug
import LDM

/// `ldmctl udev ...`: what the udev rules and the systemd units call.
struct UdevCommand: Command {
    static let name = "udev"
    static let summary = "Hotplug helper for udev rules and systemd units (see ldmctl(8))."
    static let usage = "ldmctl udev probe DEVICE | partition DEVICE | dm-info dm-N | add|change MAJ:MIN DEVICE | remove MAJ:MIN | last-resort [--wait SECONDS] GROUP-GUID | activate [--degraded] DM-UUID | coldplug"
    static let discussion = """
        probe DEVICE        Is DEVICE an LDM disk? Reads only sector 0, the GPT and the
                            PRIVHEAD; prints KEY=value lines for IMPORT{program}:
                            LDM_DISK=1, LDM_PARTITION_STYLE, LDM_GROUP_GUID, LDM_DISK_GUID,
                            LDM_GROUP_NAME, LDM_PROBE_BYTES. Prints nothing otherwise.
        partition DEVICE    For a kernel partition of an LDM disk: LDM_PARTITION_ROLE
                            (a volume type, or container) and LDM_PARTITION_USABLE
                            (1 only for a simple volume's partition).
        dm-info dm-N        For an LDM device-mapper device: LDM_GROUP, LDM_GROUP_GUID,
                            LDM_VOLUME, LDM_VOLUME_TYPE, LDM_DRIVE_HINT, LDM_DEGRADED,
                            LDM_LINK (ldm/GROUP/VOLUME).
        add|change MAJ:MIN DEVICE
                            Reads the disk's metadata once, records it in
                            /run/ldmctl/disks/MAJ:MIN, activates the volumes that are now
                            complete (through systemd-run when systemd is running), and
                            arms the degraded-start timer for volumes that could run
                            without a missing disk.
        remove MAJ:MIN      Drops the record and removes volumes that cannot work without
                            the disk, unless they are open (then says why in the log).
        last-resort GUID    Starts the group's volumes that are still degraded, degraded.
        activate DM-UUID    Activates a volume queued by add (run by its systemd unit).
        coldplug            Records every LDM disk present and activates every complete
                            volume (the boot unit ldmctl-activate.service).

        Values printed for udev are limited to A-Z a-z 0-9 + - . _ : (other bytes as _xHH)
        and 128 bytes. Messages go to /run/ldmctl/log, syslog (else the kernel log) and
        stderr. The degraded timeout is --degraded-timeout, else $LDMCTL_DEGRADED_TIMEOUT,
        else `degraded_timeout = SECONDS` in /etc/ldmctl.conf, else 30 seconds.
        """
    static let options = [
        OptionSpec(long: "degraded-timeout", short: nil, kind: .value("SECONDS"),
                   help: "Wait this long for missing disks before starting a mirror or RAID-5 degraded (default 30)."),
        OptionSpec(long: "wait", short: nil, kind: .value("SECONDS"), help: "last-resort: sleep this long first."),
        OptionSpec(long: "degraded", short: nil, kind: .flag, help: "activate: allow a degraded volume."),
    ]

    let action: String
    let arguments: [String]
    let degradedTimeout: Int
    let wait: Int
    let degraded: Bool

    init(_ a: ParsedArguments) throws {
        guard let first = a.positional.first else { throw UsageError(message: "say what to do: probe, add, remove, ...") }
        action = first
        arguments = Array(a.positional.dropFirst())
        if let v = a.value("degraded-timeout") {
            guard let n = HotplugConfig.parse(v) else { throw UsageError(message: "--degraded-timeout must be 0...86400 seconds") }
            degradedTimeout = n
        } else {
            degradedTimeout = HotplugConfig.degradedTimeout()
        }
        if let v = a.value("wait") {
            guard let n = HotplugConfig.parse(v) else { throw UsageError(message: "--wait must be 0...86400 seconds") }
            wait = n
        } else {
            wait = 0
        }
        degraded = a.flag("degraded")
        let counts: [String: ClosedRange<Int>] = [
            "probe": 1...1, "partition": 1...1, "dm-info": 1...1, "add": 2...2, "change": 2...2,
            "remove": 1...2, "last-resort": 1...1, "activate": 1...1, "coldplug": 0...0,
        ]
        guard let range = counts[action] else { throw UsageError(message: "unknown udev action \(LDMName(action).display)") }
        guard range.contains(arguments.count) else { throw UsageError(message: "wrong number of arguments for \(action)") }
    }

    func run() throws {
        let hotplug = Hotplug(degradedTimeout: degradedTimeout)
        switch action {
        case "probe":
            print(Probe.run(device: arguments[0]).text, terminator: "")
        case "partition":
            print(UdevQueries.partition(device: arguments[0]).text, terminator: "")
        case "dm-info":
            print(UdevQueries.dmInfo(kernelName: arguments[0]).text, terminator: "")
        case "add", "change":
            try hotplug.diskAdded(try number(arguments[0]), device: arguments[1], action: action)
        case "remove":
            try hotplug.diskRemoved(try number(arguments[0]))
        case "last-resort":
            guard let guid = GUID(arguments[0]) else { throw UsageError(message: "not a GUID") }
            if wait > 0 { sleepSeconds(wait) }
            var h = hotplug
            h.waitForUdev = true   // a timer's process, not a udev worker
            try logged(h, "last-resort \(guid)") { try h.lastResort(guid) }
        case "activate":
            // Outside udev (a systemd unit): waiting for udev is safe and
            // makes /dev/mapper and /dev/ldm links exist on return.
            var h = hotplug
            h.waitForUdev = true
            try logged(h, "activate \(LDMName(arguments[0]).display)") { try h.activateQueued(uuid: arguments[0], degraded: degraded) }
        case "coldplug":
            var h = hotplug
            h.waitForUdev = true
            try logged(h, "coldplug") { try h.coldplug() }
        default:
            throw UsageError(message: "unknown udev action")
        }
    }

    func number(_ s: String) throws -> DeviceNumber {
        guard s.utf8.allSatisfy({ (48...58).contains($0) }), let n = DeviceNumber(s) else {
            throw UsageError(message: "MAJ:MIN expected")
        }
        return n
    }
}

#if canImport(Glibc)
import Glibc
#endif
func sleepSeconds(_ n: Int) {
    var left = timespec(tv_sec: n, tv_nsec: 0)
    var rem = timespec()
    while nanosleep(&left, &rem) != 0 && errno == EINTR { left = rem }
}

/// Runs a step of a process the helper started (a transient unit, a
/// timer, a detached process): without systemd its output goes
/// nowhere, so a failure is also written to the helper's log.
func logged(_ h: Hotplug, _ what: String, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch {
        h.state.log("udev \(what) failed: \(error)")
        throw error
    }
}
