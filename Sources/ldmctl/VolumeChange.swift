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
