import LDM

struct ShowCommand: Command {
    static let name = "show"
    static let summary = "Show disk groups, their disks with regions, and volumes with partitions and state."
    static let usage = "ldmctl show [--json] [--image-sector-size BYTES] [DEVICE...]"
    static let options = [
        OptionSpec(long: "json", short: nil, kind: .flag, help: "Print JSON (stable keys; see ldmctl(8))."),
    ] + DeviceArguments.options

    let json: Bool
    let devices: [String]
    let imageSectorSize: Int

    init(_ a: ParsedArguments) throws {
        json = a.flag("json")
        devices = a.positional
        imageSectorSize = try DeviceArguments.imageSectorSize(a)
    }

    func run() throws {
        let inventory = Inventory.load(devices: devices, imageSectorSize: imageSectorSize)
        if json {
            print(ShowOutput.json(groups: inventory.groups, errors: inventory.errors).rendered())
        } else {
            for g in inventory.groups { printGroup(g) }
        }
        inventory.reportErrors()
        if inventory.failed { throw Failed() }
    }

    func printGroup(_ g: DiskGroup) {
        let scale = UInt64(g.sectorSize)
        var title = "Disk group \(g.name.display)  \(g.guid)  \(g.presentDiskCount) of \(g.disks.count) disks present"
        if g.cloneIndex > 0 { title += "  (clone \(g.cloneIndex): another set of disks carries the same group)" }
        print(title)
        for n in g.notes { print("  note: \(n)") }
        for d in g.disks {
            if let loc = d.location {
                print("  Disk \(d.name.display)  \(d.guid)  \(loc.device.display)  \(loc.partitionStyle.rawValue), data \(loc.dataStart)+\(loc.dataSize), database \(loc.databaseStart)")
            } else {
                print("  Disk \(d.name.display)  \(d.guid)  MISSING")
            }
            for r in d.regions {
                let what = r.partitionName.map { "\($0.display) (volume \(r.volumeName?.display ?? "?"))" } ?? "free"
                print("    \(r.start)+\(r.size)  \(what)")
            }
        }
        for v in g.volumes {
            var line = "  Volume \(v.name.display)  \(v.type.rawValue)  \(humanSize(v.size * scale))  \(v.state.rawValue)"
            if v.chunkSize > 0 { line += "  chunk \(humanSize(v.chunkSize * scale))" }
            if let hint = v.driveHint { line += "  hint \(hint.display)" }
            if let guid = v.guid { line += "  \(guid)" }
            print(line)
            for (plex, c) in v.components.enumerated() {
                for p in c.partitions {
                    let disk = g.disk(id: p.diskID)
                    var where_ = "on \(disk?.name.display ?? "?")\(disk?.isPresent == true ? "" : " (missing)")"
                    if v.type == .mirrored { where_ += ", plex \(plex)" }
                    if v.type == .striped || v.type == .raid5 { where_ += ", column \(p.column)" }
                    print("    \(p.name.display)  \(where_)  start \(p.start)  size \(p.size)  offset \(p.volumeOffset)")
                }
            }
        }
    }
}

func humanSize(_ bytes: UInt64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes), unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    if unit == 0 { return "\(bytes) B" }
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) \(units[unit])"
}
