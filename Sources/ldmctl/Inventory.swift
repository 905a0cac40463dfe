#if canImport(Glibc)
import Glibc
#endif
import LDM
import DMTable
import BlockDevices

/// The disks and groups a command sees, and the stacks planned for the
/// volumes it chose: one run of `VolumePipeline` (read, assemble, plan,
/// check unique).
struct Inventory {
    var result: VolumePipeline.Result
    /// Worth saying, not failures (a disk named twice).
    var notes: [String]
    var explicitDevices: Bool

    var groups: [DiskGroup] { result.groups }
    /// Device and group errors, already display-safe.
    var errors: [String] { result.diskErrors }

    /// `devices` as the command line gave them (empty: scan the system);
    /// `pipeline` says which volumes to plan (none by default).
    static func load(devices: [String], imageSectorSize: Int,
                     pipeline: VolumePipeline = VolumePipeline(select: { _, _ in false })) -> Inventory {
        let opened = DiskScanner(imageSectorSize: imageSectorSize).open(RawArguments.paths(devices))
        var pipeline = pipeline
        pipeline.reportNonLDM = !devices.isEmpty
        var result = pipeline.run(opened.sources.map { PipelineDisk(source: $0, device: DiskDevice.of($0)) })
        result.diskErrors = opened.errors + result.diskErrors
        return Inventory(result: result, notes: opened.notes, explicitDevices: !devices.isEmpty)
    }

    /// Groups matching `selector` (name, device-safe name or GUID); all when nil.
    func groups(matching selector: String?) -> [DiskGroup] {
        guard let selector else { return groups }
        return groups.filter { Self.group($0, matches: selector) }
    }

    static func group(_ g: DiskGroup, matches selector: String) -> Bool {
        g.name.display == selector || g.guid.text == selector.lowercased() || DeviceNames.groupPart(g) == selector
    }

    func reportErrors() {
        for n in notes { warn("note: \(n)") }
        for e in errors { warn(e) }
    }

    /// Exit 1 when a named device could not be read, or named devices
    /// held no dynamic disk at all.
    var failed: Bool { !errors.isEmpty || (groups.isEmpty && explicitDevices) }
}

/// Device arguments as the bytes the user typed. `CommandLine.arguments`
/// replaces bytes that are not UTF-8, which would name another file; the
/// k-th argument that decodes to a string is taken as the k-th raw argv
/// entry that decodes to it.
enum RawArguments {
    static func paths(_ arguments: [String]) -> [DevicePath] {
        var raw: [String: [[UInt8]]] = [:]
        for i in 1..<Int(CommandLine.argc) {
            guard let p = CommandLine.unsafeArgv[i] else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self),
                                                  count: strlen(p)))
            raw[String(decoding: bytes, as: UTF8.self), default: []].append(bytes)
        }
        return arguments.map { a in
            guard var candidates = raw[a], !candidates.isEmpty else { return DevicePath(a) }
            let bytes = candidates.removeFirst()
            raw[a] = candidates
            return DevicePath(bytes: bytes)
        }
    }
}

/// Volume selection shared by `table` and `activate`.
struct VolumeSelection {
    static let options = [
        OptionSpec(long: "group", short: "g", kind: .value("NAME|GUID"), help: "Only volumes of this disk group."),
        OptionSpec(long: "volume", short: nil, kind: .repeated("NAME"), help: "Only this volume (repeatable)."),
        OptionSpec(long: "whole-disk", short: nil, kind: .flag,
                   help: "Map through whole disks even where a partition device covers the extent."),
        OptionSpec(long: "4kn-extents", short: nil, kind: .value("logical"),
                   help: "Plan disks with 4096-byte sectors, reading extents in logical sectors (unverified; see the man page)."),
    ]

    var group: String?
    var volumes: [String]
    var wholeDisk: Bool
    var logical4KnExtents = false

    init(_ a: ParsedArguments) throws {
        group = a.value("group")
        volumes = a.all("volume")
        wholeDisk = a.flag("whole-disk")
        if let units = a.value("4kn-extents") {
            guard units == "logical" else {
                warn("--4kn-extents: \(LDMName(units).display) is not a known reading (only \"logical\")")
                throw Failed()
            }
            logical4KnExtents = true
        }
    }

    init(group: String?, volumes: [String], wholeDisk: Bool) {
        self.group = group
        self.volumes = volumes
        self.wholeDisk = wholeDisk
    }

    /// Reads the devices and plans the selected volumes; reports disk
    /// errors, unknown names and each volume that could not be planned
    /// (worded by `describe`). Throws when planned names collide.
    func plan(devices: [String], imageSectorSize: Int, allowDegraded: Bool = true,
              describe: (PlanError) -> String = { "\($0)" }) throws -> (stacks: [VolumeStack], failed: Bool, groups: [DiskGroup]) {
        var pipeline = VolumePipeline(allowDegraded: allowDegraded, wholeDisk: wholeDisk, select: matches)
        pipeline.acceptsLogical4KnExtents = logical4KnExtents
        let inventory = Inventory.load(devices: devices, imageSectorSize: imageSectorSize, pipeline: pipeline)
        inventory.reportErrors()
        try checkFound(inventory)
        for e in inventory.result.planErrors { warn(describe(e)) }
        if let conflict = inventory.result.conflict { throw conflict }
        return (inventory.result.stacks, inventory.failed || !inventory.result.planErrors.isEmpty, inventory.result.groups)
    }

    func matches(_ g: DiskGroup, _ v: Volume) -> Bool {
        (group == nil || Inventory.group(g, matches: group!))
            && (volumes.isEmpty || volumes.contains(v.name.display))
    }

    /// Fails if a named group or volume does not exist.
    func checkFound(_ inventory: Inventory) throws {
        if let group, inventory.groups(matching: group).isEmpty {
            warn("no disk group \(LDMName(group).display) found")
            throw Failed()
        }
        let chosen = inventory.groups(matching: group).flatMap(\.volumes)
        for name in volumes where !chosen.contains(where: { $0.name.display == name }) {
            warn("no volume \(LDMName(name).display) found")
            throw Failed()
        }
    }
}
