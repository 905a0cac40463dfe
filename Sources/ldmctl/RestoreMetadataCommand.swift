import LDM
import DMTable
import Activation
import LDMEdit

/// `ldmctl restore-metadata DIR`: puts a backup that create-volume or
/// delete-volume took back onto the disks it came from.
struct RestoreMetadataCommand: Command {
    static let name = "restore-metadata"
    static let summary = "Write a metadata backup back to the disks it was taken from."
    static let usage = "ldmctl restore-metadata DIR [--yes] [--dry-run] [DEVICE...]"
    static let discussion = """
        DIR is a backup directory that create-volume or delete-volume made (by default
        under /var/lib/ldmctl/backup/<group guid>/). Each disk its manifest names is
        found by its disk GUID among the DEVICEs (or the system's disks), and must be
        the disk that was backed up: the same disk group, size, sector size and
        database location; the backup files must match their SHA-256. Otherwise
        nothing is written. No volume of the group may be active. The saved sectors
        are then written back, synced and read back. Without --yes the plan is
        printed and nothing is written (exit 1); --dry-run prints it and exits 0.
        """
    static let options = [
        OptionSpec(long: "yes", short: "y", kind: .flag, help: "Write the backup to the disks."),
        OptionSpec(long: "dry-run", short: "n", kind: .flag, help: "Print what would be written; change nothing."),
    ] + DeviceArguments.options

    let directory: String
    let devices: [String]
    let yes: Bool
    let dryRun: Bool
    let imageSectorSize: Int

    init(_ a: ParsedArguments) throws {
        guard let first = a.positional.first else { throw UsageError(message: "name the backup directory") }
        directory = first
        devices = Array(a.positional.dropFirst())
        yes = a.flag("yes")
        dryRun = a.flag("dry-run")
        if yes && dryRun { throw UsageError(message: "--yes and --dry-run exclude each other") }
        imageSectorSize = try DeviceArguments.imageSectorSize(a)
    }

    func run() throws {
        let plan: RestorePlan
        do {
            plan = try MetadataBackup.planRestore(from: directory, candidates: RawArguments.paths(devices),
                                                  imageSectorSize: imageSectorSize)
        } catch {
            warn("restore-metadata: \(error.message)")
            throw Failed()
        }
        for line in plan.description { print(line) }
        if dryRun { return }
        guard yes else {
            warn("restore-metadata: nothing written; add --yes to write")
            throw Failed()
        }
        try refuseActiveVolumes(of: plan.manifest.group)
        let notes: [String]
        do {
            notes = try MetadataBackup.restore(plan)
        } catch {
            warn("restore-metadata: \(error.message)")
            throw Failed()
        }
        for t in plan.targets {
            warn("\(t.path.display): restored \(t.bytes.count) bytes of disk \(t.disk.diskGUID), read back equal")
        }
        for n in notes { warn("restore-metadata: note: \(n)") }
    }

    /// A restore under an active volume would change the layout beneath
    /// it. Without device-mapper nothing can be active; the writes open
    /// block devices O_EXCL besides, which a device-mapper holder refuses.
    func refuseActiveVolumes(of group: GUID) throws {
        let active: [ActiveVolume]
        do {
            active = try Activator().status()
        } catch {
            warn("restore-metadata: note: cannot list device-mapper devices (\(error)); taking no volume to be active")
            return
        }
        let ours = active.filter { v in DeviceNames.belongs(name: v.name, uuid: v.uuid, toGroup: group.text) }
        guard ours.isEmpty else {
            warn("restore-metadata: volumes of disk group \(group) are active (\(ours.map(\.name).joined(separator: ", "))): deactivate them first; nothing written")
            throw Failed()
        }
    }
}
