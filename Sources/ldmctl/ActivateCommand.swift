import LDM
import DMTable
import Activation

/// Which volumes a command acts on: `--all`, `--group`, or names. Shared by
/// activate and deactivate. Positional arguments containing `/` are
/// devices (disks or images); others are volume names.
struct Targets {
    var all: Bool
    var group: String?
    var volumes: [String]
    var devices: [String]

    static let options = [
        OptionSpec(long: "all", short: "a", kind: .flag, help: "Every volume found."),
        OptionSpec(long: "group", short: "g", kind: .value("NAME|GUID"), help: "Every volume of this disk group."),
        OptionSpec(long: "volume", short: nil, kind: .repeated("NAME"), help: "This volume (repeatable; or name it as an argument)."),
    ]

    init(_ a: ParsedArguments) throws {
        all = a.flag("all")
        group = a.value("group")
        devices = a.positional.filter { $0.contains("/") }
        volumes = a.all("volume") + a.positional.filter { !$0.contains("/") }
        guard all || group != nil || !volumes.isEmpty else {
            throw UsageError(message: "say which volumes: --all, --group NAME|GUID, or volume names")
        }
        if all && (group != nil || !volumes.isEmpty) {
            throw UsageError(message: "--all cannot be combined with --group or volume names")
        }
    }
}

struct ActivateCommand: Command {
    static let name = "activate"
    static let summary = "Create the device-mapper devices of volumes."
    static let usage = "ldmctl activate [--all | --group NAME|GUID | VOLUME...] [--read-only] [--no-degraded] [--dry-run] [DEVICE...]"
    static let discussion = """
        Devices are created in dependency order with udev synchronisation, so
        /dev/mapper/NAME exists when the command returns. Degraded volumes (a mirror
        with a whole plex, a RAID-5 missing one member) start with a warning unless
        --no-degraded; incomplete volumes are reported and nothing of them is created.
        A volume already active with the same tables is left as it is. If any step of
        a volume fails, everything created for it is removed again. Nothing is ever
        written to a member disk by activation.
        """
    static let options = Targets.options + [
        OptionSpec(long: "read-only", short: "r", kind: .flag, help: "Create every device read-only."),
        OptionSpec(long: "no-degraded", short: nil, kind: .flag, help: "Do not start degraded volumes."),
        OptionSpec(long: "dry-run", short: "n", kind: .flag, help: "Print what would be done; change nothing."),
        OptionSpec(long: "whole-disk", short: nil, kind: .flag,
                   help: "Map through whole disks even where a partition device covers the extent."),
        VolumeSelection.options.first { $0.long == "4kn-extents" }!,
    ] + DeviceArguments.options

    let targets: Targets
    let readOnly: Bool
    let noDegraded: Bool
    let dryRun: Bool
    let wholeDisk: Bool
    let logical4KnExtents: Bool
    let imageSectorSize: Int

    init(_ a: ParsedArguments) throws {
        targets = try Targets(a)
        logical4KnExtents = try VolumeSelection(a).logical4KnExtents
        readOnly = a.flag("read-only")
        noDegraded = a.flag("no-degraded")
        dryRun = a.flag("dry-run")
        wholeDisk = a.flag("whole-disk")
        imageSectorSize = try DeviceArguments.imageSectorSize(a)
    }

    func run() throws {
        var selection = VolumeSelection(group: targets.group, volumes: targets.volumes, wholeDisk: wholeDisk)
        selection.logical4KnExtents = logical4KnExtents
        let planned = try selection.plan(devices: targets.devices, imageSectorSize: imageSectorSize,
                                         allowDegraded: !noDegraded) {
            "\($0.group)/\($0.volume): not activated: \($0.problem)"
        }
        let stacks = planned.stacks
        var failed = planned.failed
        let manual = Set(planned.groups.filter { $0.privateHeaderFlags.contains(.noAutoImport) }.map(\.name.display))
        for s in stacks where manual.contains(s.groupName) {
            warn("\(s.groupName)/\(s.volumeName): Windows marks this group not to be imported automatically; activating it because you asked")
        }
        for s in stacks where s.degraded {
            warn("\(s.groupName)/\(s.volumeName): starting degraded (\(s.notes.first ?? ""))")
        }
        let results = Activator().activate(stacks: stacks, options: ActivationOptions(readOnly: readOnly, dryRun: dryRun))
        for r in results {
            let label = "\(r.groupName)/\(r.volumeName)"
            switch r.state {
            case .activated: warn("\(label): activated as /dev/mapper/\(r.device)")
            case .alreadyActive: warn("\(label): already active as /dev/mapper/\(r.device)")
            case .planned:
                warn("\(label): would activate /dev/mapper/\(r.device)")
                for n in r.notes where n.hasPrefix("device-mapper is not usable") { warn("\(label): note: \(n)") }
                for s in r.steps { print(s.description) }
            case .failed:
                warn("\(label): failed: \(r.error.map(\.detail) ?? "unknown error")")
                failed = true
            }
        }
        if failed { throw Failed() }
    }
}

struct DeactivateCommand: Command {
    static let name = "deactivate"
    static let summary = "Remove the device-mapper devices of volumes."
    static let usage = "ldmctl deactivate [--all | --group NAME|GUID | VOLUME...] [--dry-run]"
    static let discussion = """
        Works from what the kernel has (devices whose DM UUID starts with LDM-), so it
        needs no disks. Stacks are removed top first. A volume that is open (mounted,
        in use, or held by another device) is left whole and named.
        """
    static let options = Targets.options + [
        OptionSpec(long: "dry-run", short: "n", kind: .flag, help: "Print what would be done; change nothing."),
    ]

    let targets: Targets
    let dryRun: Bool

    init(_ a: ParsedArguments) throws {
        targets = try Targets(a)
        guard targets.devices.isEmpty else { throw UsageError(message: "deactivate takes volume names, not devices") }
        dryRun = a.flag("dry-run")
    }

    func run() throws {
        let activator = Activator()
        let active: [ActiveVolume]
        do {
            active = try activator.status()
        } catch {
            warn("\(error)")
            throw Failed()
        }
        let chosen = active.filter(matches)
        var failed = false
        for name in targets.volumes where !active.contains(where: { DeviceNames.isVolume(named: name, deviceName: $0.name) }) {
            warn("\(LDMName(name).display): no such active volume")
            failed = true
        }
        if let g = targets.group, chosen.isEmpty {
            warn("no active volume of disk group \(LDMName(g).display)")
            failed = true
        }
        for r in activator.deactivate(volumes: chosen, dryRun: dryRun) {
            switch r.state {
            case .removed: warn("\(r.device): removed")
            case .notActive: warn("\(r.device): not active")
            case .planned:
                warn("\(r.device): would remove")
                for s in r.steps { print(s.description) }
            case .busy:
                warn("\(r.device): in use, left alone: \(r.error.map { $0.reason } ?? "open")")
                failed = true
            case .failed:
                warn("\(r.device): failed: \(r.error.map { "\($0)" } ?? "unknown error")")
                failed = true
            }
        }
        if failed { throw Failed() }
    }

    func matches(_ v: ActiveVolume) -> Bool {
        if targets.all { return true }
        if let g = targets.group {
            if !DeviceNames.belongs(name: v.name, uuid: v.uuid, toGroup: g) { return false }
            if targets.volumes.isEmpty { return true }
        }
        return targets.volumes.contains { DeviceNames.isVolume(named: $0, deviceName: v.name) }
    }
}
