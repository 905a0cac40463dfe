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
            for g in inventory.groups { print(ShowOutput.text(g), terminator: "") }
        }
        inventory.reportErrors()
        if inventory.failed { throw Failed() }
    }
}
