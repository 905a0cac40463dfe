import Foundation
import XCTest
import LDM
import LDMWriter
import DMTable
import BlockDevices

/// Paths are identities, not display text: images under a directory whose
/// name holds a space, quotes, a newline and bytes that are not UTF-8 are
/// read, reported and mapped under their exact path.
final class PathTests: XCTestCase {
    /// `ldm it's "q"<newline>nl<0xff 0xfe>`
    static let oddName: [UInt8] = Array("ldm it's \"q\"\nnl".utf8) + [0xFF, 0xFE]
    var base = ""
    var dir: [UInt8] = []
    var images: [[UInt8]] = []

    override func setUpWithError() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("ldmctl-paths-\(getpid())").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        dir = Array(base.utf8) + [UInt8(ascii: "/")] + Self.oddName
        XCTAssertEqual(cPath(dir) { mkdir($0, 0o755) }, 0)
        for image in try ImageWriter.write(WrittenImageTableTests.compactSpec(sectorSize: 512)) {
            let plain = base + "/" + image.fileName
            try image.write(to: plain)
            let odd = dir + [UInt8(ascii: "/")] + Array(image.fileName.utf8)
            XCTAssertEqual(cPath(Array(plain.utf8)) { from in cPath(odd) { rename(from, $0) } }, 0)
            images.append(odd)
        }
    }

    override func tearDownWithError() throws {
        for i in images { _ = cPath(i) { unlink($0) } }
        _ = cPath(dir) { rmdir($0) }
        try? FileManager.default.removeItem(atPath: base)
    }

    func cPath<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        DevicePath(bytes: bytes).withCString { body($0!) }
    }

    func testModelAndTablesKeepTheExactPath() throws {
        let opened = DiskScanner().open(images.map { DevicePath(bytes: $0) })
        XCTAssertEqual(opened.errors, [])
        let result = VolumePipeline().run(opened.sources.map { PipelineDisk(source: $0, device: DiskDevice.of($0)) })
        XCTAssertEqual(result.errors, [])
        let present = result.groups.flatMap(\.disks).compactMap(\.location?.device.bytes)
        XCTAssertEqual(Set(present), Set(images))
        XCTAssertFalse(result.stacks.isEmpty)
        for s in result.stacks {
            for d in s.devices {
                for t in d.targets {
                    for m in t.members {
                        // Not safe for a table line, no device number: never a path in the table.
                        XCTAssertNil(m.tablePath)
                        XCTAssertNil(m.number)
                        XCTAssertTrue(images.map { LDMName($0).display }.contains(m.display), m.display)
                    }
                }
            }
        }
    }

    // MARK: through the ldmctl binary

    /// Runs the built ldmctl with raw byte arguments; stdout and status.
    func ldmctl(_ args: [[UInt8]]) throws -> (String, Int32) {
        // Beside the test bundle, in the build directory; LDMCTL_UNDER_TEST
        // names another build (to see the test fail on it), as in CLITests.
        let candidates = [ProcessInfo.processInfo.environment["LDMCTL_UNDER_TEST"]].compactMap { $0 }
            + [CommandLine.arguments[0], Bundle(for: Self.self).bundlePath].map {
                URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("ldmctl").path
            }
        let binary = try XCTUnwrap(candidates.first { FileManager.default.isExecutableFile(atPath: $0) },
                                   "build ldmctl first: not in \(candidates)")
        var pipe: [Int32] = [0, 0]
        XCTAssertEqual(Glibc.pipe(&pipe), 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        let argv: [UnsafeMutablePointer<CChar>?] = ([Array(binary.utf8)] + args).map { bytes in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
            p[bytes.count] = 0
            return p
        } + [nil]
        defer { for p in argv { p?.deallocate() } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, binary, &actions, nil, argv, environ)
        posix_spawn_file_actions_destroy(&actions)
        close(pipe[1])
        XCTAssertEqual(rc, 0)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(pipe[0], &buffer, buffer.count)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        close(pipe[0])
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return (String(decoding: out, as: UTF8.self), (status >> 8) & 0xFF)
    }

    /// JSON for a byte string, written here independently of ldmctl's
    /// encoder: UTF-8 as is, `"` `\` and control characters escaped, bytes
    /// that are not UTF-8 as `\udcXX`.
    func expectedJSON(_ bytes: [UInt8]) -> String {
        var out = "\""
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x0A: out += "\\n"
            case 0..<0x20: out += String(format: "\\u%04x", b)
            case 0x20..<0x80: out += String(UnicodeScalar(b))
            default: out += String(format: "\\udc%02x", b)   // the test names hold no valid multi-byte UTF-8
            }
            i += 1
        }
        return out + "\""
    }

    func testShowJSONGivesThePathsExactly() throws {
        let (out, status) = try ldmctl([Array("show".utf8), Array("--json".utf8)] + images)
        XCTAssertEqual(status, 0, out)
        for image in images {
            XCTAssertTrue(out.contains("\"device\": \(expectedJSON(image))"), "\(expectedJSON(image)) not in\n\(out)")
        }
    }

    func testTableLinesHaveExactlyTheirFields() throws {
        let (out, status) = try ldmctl([Array("table".utf8)] + images)
        XCTAssertEqual(status, 0, out)
        var lines = 0
        var placeholders: Set<String> = []
        for line in out.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            XCTAssertGreaterThanOrEqual(f.count, 4, String(line))
            guard f.count >= 4 else { continue }
            lines += 1
            switch f[2] {
            case "linear":
                XCTAssertEqual(f.count, 5, String(line))
                XCTAssertTrue(f[3].hasPrefix("<image") && f[3].hasSuffix(">"), String(line))
                placeholders.insert(f[3])
            case "striped":
                let n = Int(f[3]) ?? 0
                XCTAssertEqual(f.count, 5 + 2 * n, String(line))
                for i in 0..<n { placeholders.insert(f[5 + 2 * i]) }
            case "raid":
                let n = Int(f[7]) ?? 0
                XCTAssertEqual(f.count, 8 + 2 * n, String(line))
            default:
                XCTFail("unexpected target: \(line)")
            }
        }
        XCTAssertGreaterThan(lines, 0)
        // Each placeholder is explained, with the exact path escaped once.
        for p in placeholders {
            XCTAssertTrue(out.contains("# \(p) is the image file "), "\(p) not explained in\n\(out)")
        }
        for image in images {
            XCTAssertTrue(out.contains(LDMName(image).display), "\(LDMName(image).display) not named")
        }
        XCTAssertFalse(out.contains("\\x5c"), "escaped twice:\n\(out)")
    }
}

/// With the kernel's view of the disks, tables name members by number.
final class PlannerDeviceTests: XCTestCase {
    func testMembersAreNamedByDeviceNumber() throws {
        let images = try ImageWriter.write(WrittenImageTableTests.compactSpec(sectorSize: 512))
        let named = images.map { NamedImage(image: $0, name: "/dev/x y/\($0.name)") }
        let plain = VolumePipeline().run(named)
        let g = try XCTUnwrap(plain.groups.first { $0.name.display == SampleSpecs.mbrGroupName })
        var devices: [DevicePath: DiskDevice] = [:]
        for (i, d) in g.disks.compactMap(\.location).enumerated() {
            // Disk 0 also has a kernel partition over its whole data area.
            let partitions = i == 0 ? [KernelPartition(name: "sdz1", number: DeviceNumber(major: 8, minor: 1),
                                                       start: d.dataStart, size: d.dataSize)] : []
            devices[d.device] = DiskDevice(number: DeviceNumber(major: 8, minor: UInt32(16 * (i + 1))), partitions: partitions)
        }
        let result = VolumePipeline().plan([g], devices: devices)
        XCTAssertEqual(result.errors, [])
        for s in result.stacks {
            for d in s.devices {
                for t in d.targets {
                    for m in t.members {
                        let number = try XCTUnwrap(m.number)
                        XCTAssertTrue(t.params.contains(number.description), t.line)
                        XCTAssertFalse(t.params.contains("/dev/x y"), t.line)
                        if number.minor == 1 { XCTAssertEqual(m.tablePath, "/dev/sdz1") }
                        else { XCTAssertNil(m.tablePath) }   // "/dev/x y/..." cannot stand in a line
                    }
                }
            }
        }
        // Through the partition, offsets count from the partition's start.
        let simple = try XCTUnwrap(result.stacks.first { $0.volumeName == "Simple" })
        XCTAssertTrue(simple.top.targets[0].params.hasPrefix("8:1 "), simple.top.targets[0].line)
        let whole = VolumePipeline(wholeDisk: true).plan([g], devices: devices)
        let wholeSimple = try XCTUnwrap(whole.stacks.first { $0.volumeName == "Simple" })
        XCTAssertTrue(wholeSimple.top.targets[0].params.hasPrefix("8:16 "), wholeSimple.top.targets[0].line)
    }
}
