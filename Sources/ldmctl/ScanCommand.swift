import LDM

struct ScanCommand: Command {
    static let name = "scan"
    static let summary = "List disk groups: name, GUID, disks present of total."
    static let usage = "ldmctl scan [--image-sector-size BYTES] [DEVICE...]"
    static let options = DeviceArguments.options

    let devices: [String]
    let imageSectorSize: Int

    init(_ a: ParsedArguments) throws {
        devices = a.positional
        imageSectorSize = try DeviceArguments.imageSectorSize(a)
    }

    func run() throws {
        let inventory = Inventory.load(devices: devices, imageSectorSize: imageSectorSize)
        inventory.reportErrors()
        var out = ""
        for g in inventory.groups {
            out += "\(g.name.display) \(g.guid) \(g.presentDiskCount)/\(g.disks.count)"
            if g.cloneIndex > 0 { out += " clone \(g.cloneIndex)" }
            out += "\n"
        }
        print(out, terminator: "")
        if inventory.failed { throw Failed() }
    }
}
