#if canImport(Glibc)
import SystemIO
import Glibc
#endif

/// Exit statuses shared by every command (documented in ldmctl(8)).
enum ExitStatus {
    static let ok: Int32 = 0
    /// Something asked for could not be read, found or done.
    static let failed: Int32 = 1
    /// The command line was wrong.
    static let usage: Int32 = 2
}

/// A command failed after printing its reason: exit 1.
struct Failed: Error {}

enum LDMCtl {
    static let version = "0.1.0"
    static let commands: [any Command.Type] = [
        ScanCommand.self, ShowCommand.self, TableCommand.self,
        ActivateCommand.self, DeactivateCommand.self, StatusCommand.self,
        UdevCommand.self, MonitorCommand.self, CreateVolumeCommand.self, DeleteVolumeCommand.self,
        BackupMetadataCommand.self, RestoreMetadataCommand.self,
    ]

    static let help = """
        usage: ldmctl COMMAND [OPTIONS] [DEVICE...]

        Use Windows dynamic disks (LDM) through the Linux device-mapper.

        Reads the Logical Disk Manager database that Windows keeps on dynamic disks
        and turns every volume into device-mapper tables. Without DEVICE arguments
        the system's block devices are scanned. A DEVICE may be an image file; attach
        it with `losetup -f --show -P IMAGE` before activating its volumes.

        commands:

        """

    static func main() -> Int32 {
        var args = Array(CommandLine.arguments.dropFirst())
        guard let first = args.first else {
            writeStderr(topHelp)
            return ExitStatus.usage
        }
        if first == "-h" || first == "--help" || first == "help" {
            if args.count > 1, let c = commands.first(where: { $0.name == args[1] }) {
                print(c.help, terminator: "")
            } else {
                print(topHelp, terminator: "")
            }
            return ExitStatus.ok
        }
        if first == "--version" {
            print("ldmctl \(version)")
            return ExitStatus.ok
        }
        guard let type = commands.first(where: { $0.name == first }) else {
            writeStderr("ldmctl: unknown command \(LDMNameDisplay.safe(first))\n\n" + topHelp)
            return ExitStatus.usage
        }
        args.removeFirst()
        do {
            let parsed = try ArgumentParserLite.parse(args, type.options)
            if parsed.help {
                print(type.help, terminator: "")
                return ExitStatus.ok
            }
            let command = try type.init(parsed)
            try command.run()
            return ExitStatus.ok
        } catch let error as UsageError {
            writeStderr("ldmctl \(type.name): \(error.message)\nusage: \(type.usage)\n")
            return ExitStatus.usage
        } catch is Failed {
            return ExitStatus.failed
        } catch {
            warn("\(error)")
            return ExitStatus.failed
        }
    }

    /// The longest command name and two spaces: the summaries line up.
    static var nameWidth: Int {
        var width = 0
        for c in commands { width = max(width, c.name.count) }
        return width + 2
    }

    static var topHelp: String {
        help + commands.map { "  " + $0.name.padding(nameWidth) + $0.summary }.joined(separator: "\n")
            + "\n\nRun `ldmctl COMMAND --help` for a command's options. See ldmctl(8).\n"
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}

func warn(_ line: String) {
    writeStderr("ldmctl: \(line)\n")
}

/// Unbuffered write to fd 2 (Glibc's `stderr` global is not concurrency-safe).
func writeStderr(_ text: String) {
    SystemIO.writeAll(2, Array(text.utf8))
}
