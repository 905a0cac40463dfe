import LDM
import LDMEdit

/// `ldmctl create-volume`: a new volume in a group's free space.
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
