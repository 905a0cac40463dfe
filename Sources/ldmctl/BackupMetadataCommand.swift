import LDM
import BlockDevices
import LDMEdit

/// `ldmctl backup-metadata`: the backup create-volume and delete-volume
/// take, on demand (before letting another system at the disks, say).
struct BackupMetadataCommand: Command {
    static let name = "backup-metadata"
    static let summary = "Save the LDM database area of every disk of a group."
    static let usage = "ldmctl backup-metadata [-g|--group NAME|GUID] [--backup DIR] [DEVICE...]"
    static let discussion = """
        Saves what create-volume and delete-volume save before they write: the 1 MiB
        database of every present disk of the group (on MBR disks also sector 6, on
        GPT disks the LDM metadata partition), with a manifest of SHA-256 sums, to
        DIR or to /var/lib/ldmctl/backup/<group guid>/<UTC time>/. Prints the
        directory. Never overwrites a backup. Put it back with restore-metadata.
        """
    static let options = [
        OptionSpec(long: "group", short: "g", kind: .value("NAME|GUID"), help: "The disk group (needed when several are found)."),
        OptionSpec(long: "backup", short: nil, kind: .value("DIR"), help: "Save here instead of /var/lib/ldmctl/backup/."),
    ] + DeviceArguments.options

    let group: String?
    let directory: String?
    let devices: [String]
    let imageSectorSize: Int

    init(_ a: ParsedArguments) throws {
        group = a.value("group")
        directory = a.value("backup")
        devices = a.positional
        imageSectorSize = try DeviceArguments.imageSectorSize(a)
    }

    func run() throws {
        let opened = DiskScanner(imageSectorSize: imageSectorSize).open(RawArguments.paths(devices))
        var errors = opened.errors
        var byGroup: [GUID: [DiskMetadata]] = [:]
        for source in opened.sources {
            do {
                let m = try DiskMetadata.read(from: source)
                byGroup[m.privateHeader.groupGUID, default: []].append(m)
            } catch let error as LDMError where error.kind == .notLDM && devices.isEmpty {
                continue   // scanning the system: not every disk is dynamic
            } catch {
                errors.append("\(error)")
            }
        }
        for e in errors { warn(e) }
        let chosen = byGroup.filter { guid, members in
            guard let group else { return true }
            return guid.text == group.lowercased() || members.contains { $0.privateHeader.groupName.display == group }
        }
        guard chosen.count == 1, let (guid, members) = chosen.first else {
            if chosen.isEmpty {
                warn("backup-metadata: no disk group\(group.map { " \(LDMName($0).display)" } ?? "") found")
            } else {
                warn("backup-metadata: several disk groups found (\(chosen.keys.map(\.text).sorted().joined(separator: ", "))): name one with --group")
            }
            throw Failed()
        }
        if let g = GroupAssembler.assemble(members).groups.first(where: { $0.guid == guid }) {
            for d in g.disks where d.location == nil {
                warn("backup-metadata: note: disk \(d.name.display) (\(d.guid)) of the group is missing: not in this backup")
            }
        }
        let dir: String
        do {
            dir = try MetadataBackup.save(members: members, to: directory, version: "ldmctl \(LDMCtl.version)")
        } catch {
            warn("backup-metadata: \(error.message)")
            throw Failed()
        }
        print(LDMName(dir).display)
        // A disk named that could not be read is not in the backup.
        if !errors.isEmpty { throw Failed() }
    }
}
