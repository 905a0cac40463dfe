import LDM
import LDMEdit

/// `ldmctl delete-volume`: a volume's records removed, its space freed.
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
