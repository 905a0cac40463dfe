import LDM
import LDMEdit

/// What create-volume and delete-volume share: read the group, plan,
/// print, and with --yes check, back up, write and read back.
struct VolumeChange {
    static let options = [
        OptionSpec(long: "dry-run", short: "n", kind: .flag, help: "Print the plan and every byte that would be written; write nothing."),
        OptionSpec(long: "yes", short: "y", kind: .flag, help: "Write the change (after a backup of every disk's database)."),
        OptionSpec(long: "backup", short: nil, kind: .value("DIR"), help: "Save the backup in DIR (default /var/lib/ldmctl/backup/<group guid>/<UTC time>/)."),
    ] + DeviceArguments.options

    var dryRun: Bool
    var yes: Bool
    var backup: String?
    var devices: [String]
    var imageSectorSize: Int

    init(_ a: ParsedArguments, devices: [String]) throws {
        dryRun = a.flag("dry-run")
        yes = a.flag("yes")
        if dryRun && yes { throw UsageError(message: "--yes and --dry-run exclude each other") }
        backup = a.value("backup")
        self.devices = devices
        imageSectorSize = try DeviceArguments.imageSectorSize(a)
    }

    /// `command` names the command in messages; `plan` makes the change.
    func run(_ command: String, group selector: String?,
             plan makePlan: (EditableGroup) throws(EditError) -> ChangePlan,
             verify: (DiskGroup, ChangePlan) -> Bool) throws {
        let loader = GroupLoader.open(RawArguments.paths(devices), imageSectorSize: imageSectorSize)
        let group: EditableGroup, transaction: Transaction
        do {
            group = try loader.editable(selector)
            transaction = try Transaction(group, try makePlan(group))
        } catch {
            warn("\(command): \(error.message); nothing written")
            throw Failed()
        }
        print(PlanText.render(transaction, group: group, bytes: dryRun), terminator: "")
        if dryRun { return }
        guard yes else {
            warn("\(command): nothing written: add --yes to write this change (a backup of every disk's database is taken first)")
            throw Failed()
        }
        let active = ActiveVolumes.holding(group: group.group)
        guard active.isEmpty else {
            warn("\(command): disk group \(group.group.name.display) is in use (\(active.joined(separator: "; "))): deactivate its volumes first; nothing written")
            throw Failed()
        }
        let members = group.members.compactMap { m in loader.metadata.first { $0.device == m.device } }
        let directory: String
        do {
            directory = try MetadataBackup.save(members: members, to: backup, version: "ldmctl \(LDMCtl.version)")
        } catch {
            warn("\(command): backup failed: \(error); nothing written")
            throw Failed()
        }
        print("backup: \(LDMName(directory).display)")
        var writer = CountingWriter()
        do {
            try transaction.run(&writer)
        } catch {
            warn("\(command): \(error)")
            warn("\(command): stopped after \(writer.count) of \(transaction.writeCount) sector writes; the disks read as the \(writer.count >= transaction.steps[0...2].reduce(0) { $0 + $1.writes.count } + 1 ? "new" : "old") configuration (Windows rolls such a change back before its commit point and forward after it); `ldmctl restore-metadata \(LDMName(directory).display)` puts the backup back")
            throw Failed()
        }
        for problem in writer.base.rereadPartitions() { warn("\(command): note: \(problem)") }
        // Read back what was written, as any reader will.
        let after = GroupLoader.open(RawArguments.paths(devices), imageSectorSize: imageSectorSize)
        guard let g = after.groups.first(where: { $0.guid == group.group.guid }), after.errors.isEmpty,
              verify(g, transaction.plan) else {
            warn("\(command): the disks do not read back as planned (\(after.errors.joined(separator: "; "))); `ldmctl restore-metadata \(LDMName(directory).display)` puts the backup back")
            throw Failed()
        }
        print("\(transaction.writeCount) sectors written, synced and read back; disk group \(g.name.display) is at committed id \(g.committedSequence)")
    }
}

/// Writes through `FileSectorWriter`, counting the writes that landed.
struct CountingWriter: SectorWriter {
    let base = FileSectorWriter()
    var count = 0
    mutating func write(_ w: SectorWrite, sectorSize: Int) throws {
        try base.write(w, sectorSize: sectorSize)
        count += 1
    }
}

struct CreateVolumeCommand: Command {
    static let name = "create-volume"
    static let summary = "Create a volume in the free space of a disk group (edits Windows' metadata)."
    static let usage = "ldmctl create-volume --group G --type simple|spanned|striped|mirrored|raid5 --size SIZE [--disks D1,D2,...] [--name NAME] [--chunk SIZE] [--drive-hint X:] [--dry-run] [--yes] [--backup DIR] [DEVICE...]"
    static let discussion = """
        SIZE is bytes with an optional binary suffix (K, M, G, T; KiB/MiB... also
        accepted), or sectors with the suffix s. Each member gets a whole number of
        MiB, starting at the beginning of a free region, as Windows does. Without
        --yes the plan is printed and nothing is written (exit 1); with --dry-run the
        plan and every byte that would be written are printed (exit 0). With --yes,
        every disk of the group must be present and its database clean, no volume
        of the group may be active, and a backup of every disk's database is saved
        before anything is written (see restore-metadata).
        """
    static let options = [
        OptionSpec(long: "group", short: "g", kind: .value("NAME|GUID"), help: "The disk group (may be left out when there is one)."),
        OptionSpec(long: "type", short: "t", kind: .value("TYPE"), help: "simple, spanned, striped, mirrored or raid5."),
        OptionSpec(long: "size", short: "s", kind: .value("SIZE"), help: "Volume size: 100M, 1G, 204800s ..."),
        OptionSpec(long: "disks", short: "d", kind: .value("D1,D2,..."), help: "Disks to use, by LDM name, in column/plex order."),
        OptionSpec(long: "name", short: nil, kind: .value("NAME"), help: "Volume name (default VolumeN, StripeN or RaidN as Windows)."),
        OptionSpec(long: "chunk", short: nil, kind: .value("SIZE"), help: "Stripe chunk for striped and raid5 (default 64K)."),
        OptionSpec(long: "drive-hint", short: nil, kind: .value("X:"), help: "Drive letter Windows should give the volume."),
    ] + VolumeChange.options

    let group: String?
    let request: VolumeRequest
    let change: VolumeChange
    let sizeText: String

    init(_ a: ParsedArguments) throws {
        group = a.value("group")
        guard let t = a.value("type"), let type = VolumeType(rawValue: t) else {
            throw UsageError(message: "--type must be simple, spanned, striped, mirrored or raid5")
        }
        guard let s = a.value("size") else { throw UsageError(message: "--size is required") }
        sizeText = s
        let ss = try DeviceArguments.imageSectorSize(a)
        guard let bytes = VolumeRequest.parseSize(s, sectorSize: ss) else {
            throw UsageError(message: "--size \(LDMNameDisplay.safe(s)): give bytes with a K, M, G or T suffix (binary), or sectors with s")
        }
        var chunk: UInt64 = 64 * 1024
        if let c = a.value("chunk") {
            guard let b = VolumeRequest.parseSize(c, sectorSize: ss) else { throw UsageError(message: "--chunk \(LDMNameDisplay.safe(c)): not a size") }
            chunk = b
        }
        let disks = a.value("disks").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
        if disks.contains("") { throw UsageError(message: "--disks: empty disk name") }
        request = VolumeRequest(type: type, sizeBytes: bytes, disks: disks, name: a.value("name"), chunkBytes: chunk,
                                driveHint: a.value("drive-hint"))
        change = try VolumeChange(a, devices: a.positional)
    }

    func run() throws {
        try change.run("create-volume", group: group, plan: { g throws(EditError) in try CreatePlanner.plan(g, request) },
                       verify: { g, p in
                           guard let v = g.volumes.first(where: { $0.name == p.volume }) else { return false }
                           print("created \(v.type.rawValue) volume \(v.name.display): \(v.size) sectors, \(v.state.rawValue)\(v.guid.map { ", guid \($0)" } ?? "")")
                           return v.size == p.volumeSize && v.partitions.map(\.name) == p.extents.map(\.partition)
                       })
    }
}

struct DeleteVolumeCommand: Command {
    static let name = "delete-volume"
    static let summary = "Delete a volume of a disk group (edits Windows' metadata)."
    static let usage = "ldmctl delete-volume [--group G] VOLUME [--dry-run] [--yes] [--backup DIR] [DEVICE...]"
    static let discussion = """
        Removes the volume's records (volume, components, partitions) from every
        disk's database in Windows' transaction order; the data in its partitions is
        not touched, but the space becomes free. The volume must not be active.
        Without --yes the plan is printed and nothing is written (exit 1).
        """
    static let options = [
        OptionSpec(long: "group", short: "g", kind: .value("NAME|GUID"), help: "The disk group (may be left out when there is one)."),
    ] + VolumeChange.options

    let group: String?
    let volume: String
    let change: VolumeChange

    init(_ a: ParsedArguments) throws {
        group = a.value("group")
        guard let v = a.positional.first else { throw UsageError(message: "name the volume to delete") }
        volume = v
        change = try VolumeChange(a, devices: Array(a.positional.dropFirst()))
    }

    func run() throws {
        try change.run("delete-volume", group: group, plan: { g throws(EditError) in try DeletePlanner.plan(g, volume: volume) },
                       verify: { g, p in
                           guard !g.volumes.contains(where: { $0.name == p.volume }) else { return false }
                           print("deleted volume \(p.volume.display)")
                           return true
                       })
    }
}
