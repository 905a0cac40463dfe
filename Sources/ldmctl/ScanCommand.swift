import ArgumentParser
import LDM

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "List disk groups: name, GUID, disks present of total.")

    @OptionGroup var options: DeviceOptions

    func run() throws {
        let inventory = Inventory.load(options)
        inventory.reportErrors()
        for g in inventory.groups {
            var line = "\(g.name.display) \(g.guid) \(g.presentDiskCount)/\(g.disks.count)"
            if g.cloneIndex > 0 { line += " clone \(g.cloneIndex)" }
            print(line)
        }
        if !inventory.errors.isEmpty || (inventory.groups.isEmpty && !options.devices.isEmpty) { throw Failed() }
    }
}
