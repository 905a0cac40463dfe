import ArgumentParser
#if canImport(Glibc)
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

@main
struct LDMCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ldmctl",
        abstract: "Use Windows dynamic disks (LDM) through the Linux device-mapper.",
        discussion: """
            Reads the Logical Disk Manager database that Windows keeps on dynamic disks \
            and turns every volume into device-mapper tables. Without DEVICE arguments \
            the system's block devices are scanned. A DEVICE may be an image file; attach \
            it with `losetup -f --show IMAGE` before activating its volumes.
            """,
        subcommands: [ScanCommand.self, ShowCommand.self, TableCommand.self])

    /// Runs a command; usage errors exit 2 (not ArgumentParser's 64).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch is Failed {
            Glibc.exit(ExitStatus.failed)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            let message = fullMessage(for: error)
            if !message.isEmpty { writeStderr(message + "\n") }
            if code == .validationFailure { Glibc.exit(ExitStatus.usage) }
            Glibc.exit(code.rawValue == 0 ? 0 : ExitStatus.failed)
        }
    }
}

/// Options every reading command takes.
struct DeviceOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Disks or image files to read; default: all block devices.", valueName: "device"))
    var devices: [String] = []

    @Option(name: .customLong("image-sector-size"), help: "Logical sector size of image files (512 or 4096).")
    var imageSectorSize: Int = 512

    func validate() throws {
        guard imageSectorSize == 512 || imageSectorSize == 4096 else {
            throw ValidationError("--image-sector-size must be 512 or 4096")
        }
    }
}

/// A command failed after printing its reason: exit 1.
struct Failed: Error {}

func warn(_ line: String) {
    writeStderr("ldmctl: \(line)\n")
}

/// Unbuffered write to fd 2 (Glibc's `stderr` global is not concurrency-safe).
func writeStderr(_ text: String) {
    var bytes = Array(text.utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + done, $0.count - done) }
        if n <= 0 { break }
        done += n
    }
}
