import Foundation
import LDM
import LDMWriter
import XCTest

/// Runs the built `ldmctl` (it sits next to the test bundle) on written
/// and forged images, for what only the command line decides.
final class CLITests: XCTestCase {
    struct Run {
        var status: Int32
        var out: String
        var err: String
    }

    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ldmctl-cli-\(getpid())-\(name.hashValue)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    var ldmctl: String {
        get throws {
            // LDMCTL_UNDER_TEST: another build (to see a test fail on it).
            if let path = ProcessInfo.processInfo.environment["LDMCTL_UNDER_TEST"] { return path }
            let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for base in [bundle, URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()] {
                let path = base.appendingPathComponent("ldmctl").path
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
            throw XCTSkip("ldmctl is not built next to the tests (run `swift build` first)")
        }
    }

    /// Runs ldmctl with a time limit (a hang is a failure, not a stuck CI).
    func run(_ args: [String], seconds: Double = 30) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try ldmctl)
        p.arguments = args
        // Output goes to files: nothing to drain while waiting.
        let outPath = "\(dir)/.stdout", errPath = "\(dir)/.stderr"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: outPath)
        p.standardError = FileHandle(forWritingAtPath: errPath)
        try p.run()
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning {
            p.terminate()
            XCTFail("ldmctl \(args.joined(separator: " ")) still ran after \(seconds) s")
        }
        p.waitUntilExit()
        func text(_ path: String) -> String {
            String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        }
        return Run(status: p.terminationStatus, out: text(outPath), err: text(errPath))
    }

    func write(_ images: [DiskImage], prefix: String = "") throws -> [String] {
        try images.map { image in
            let path = "\(dir)/\(prefix)\(image.groupName)-\(image.name).img"
            try image.write(to: path, includeContent: false)
            return path
        }
    }

    // MARK: class 7: help

    /// `-h`/`--help` after `--` is a device name, and as an option's value
    /// it is the value: neither prints help.
    func testHelpOnlyWhereAnOptionMayStand() throws {
        let paths = try write(try ImageWriter.write(SampleSpecs.standard()).filter { $0.groupName == SampleSpecs.gptGroupName })
        for args in [["show", "--", "-h"], ["show", "--", "--help"], ["table", "--group", "--help"] + paths,
                     ["table", "-g", "-h"] + paths, ["table", "--volume", "-h"] + paths] {
            let r = try run(args)
            XCTAssertFalse(r.out.contains("usage:"), "\(args): \(r.out)")
            XCTAssertNotEqual(r.status, 0, "\(args)")
        }
        let help = try run(["table", "--concise", "-h"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.out.hasPrefix("usage: ldmctl table"), help.out)
    }

    // MARK: 4096-byte sectors

    /// Which unit Windows uses for extents on 4Kn disks is not settled:
    /// `table` and `activate` refuse rather than guess, say why, and plan
    /// with ldmctl's reading only when asked; `show` says which reading.
    func testFourKnGroupsAreRefusedUnlessTheReadingIsChosen() throws {
        let paths = try write(try ImageWriter.write(SampleSpecs.standard(sectorSize: 4096))
            .filter { $0.groupName == SampleSpecs.gptGroupName })
        let sized = ["--image-sector-size", "4096"]
        let refused = try run(["table"] + sized + paths)
        XCTAssertEqual(refused.status, 1, refused.err)
        XCTAssertEqual(refused.out, "")
        XCTAssertTrue(refused.err.contains("4096-byte sectors") && refused.err.contains("--4kn-extents logical"), refused.err)
        let dry = try run(["activate", "--dry-run", "--all"] + sized + paths)
        XCTAssertTrue(dry.err.contains("not activated") && dry.err.contains("not settled"), dry.err)
        let chosen = try run(["table", "--4kn-extents", "logical"] + sized + paths)
        XCTAssertEqual(chosen.status, 0, chosen.err)
        XCTAssertTrue(chosen.out.contains("linear"), chosen.out)
        let bad = try run(["table", "--4kn-extents", "512"] + sized + paths)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains("not a known reading"), bad.err)
        let show = try run(["show"] + sized + paths)
        XCTAssertTrue(show.out.contains("extents read in logical sectors"), show.out)
        let json = try run(["show", "--json"] + sized + paths)
        XCTAssertTrue(json.out.contains("\"extentUnitsVerified\": false"), json.out)
    }

    // MARK: class 7: dry run

    /// This host has no usable device-mapper (tests also run in the VM,
    /// where it has one): a dry run plans anyway and reports what the real
    /// run would do. Image files are refused as the real run refuses them
    /// (tables loaded into the kernel name block devices), naming the
    /// image, never device-mapper, and with no empty field.
    func testDryRunNeedsNoDeviceMapper() throws {
        let paths = try write(try ImageWriter.write(SampleSpecs.standard()).filter { $0.groupName == SampleSpecs.gptGroupName })
        let r = try run(["activate", "--dry-run", "--all"] + paths)
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains("LdmctlGpt/GptSimple"), r.err)
        XCTAssertTrue(r.err.contains("LdmctlGpt-Disk1.img, which is not a block device"), r.err)
        XCTAssertTrue(r.err.contains("losetup"), r.err)
        XCTAssertFalse(r.err.lowercased().contains("libdevmapper"), r.err)
        XCTAssertFalse(r.err.contains("/dev/mapper/control"), r.err)
        XCTAssertFalse(r.err.contains(": :"), r.err)
    }

    // MARK: class 7: two groups with one name

    func testTwoGroupsWithOneNameBothGetTables() throws {
        func group(_ guid: String, _ disk: String) -> ImageSpec.Group {
            .init(name: "Shared", guid: guid, disks: [.init(name: disk, sizeBytes: 8 * ImageSpec.MiB)],
                  volumes: [.init(name: "Vol", kind: .simple, sizeBytes: 2 * ImageSpec.MiB, disks: [disk])])
        }
        let a = try write(ImageWriter.write(ImageSpec(groups: [group("bbbbbbbb-0000-4000-8000-000000000001", "DiskA")])))
        let b = try write(ImageWriter.write(ImageSpec(groups: [group("aaaaaaaa-0000-4000-8000-000000000002", "DiskB")])))
        let unrelated = try write(try ImageWriter.write(SampleSpecs.standard()).filter { $0.groupName == SampleSpecs.gptGroupName })
        for order in [a + b + unrelated, unrelated + b + a] {
            let r = try run(["table"] + order)
            XCTAssertEqual(r.status, 0, r.err)
            XCTAssertTrue(r.out.contains("# ldm_vol_Shared_Vol\n"), r.out)
            XCTAssertTrue(r.out.contains("# ldm_vol_Shared.dup1_Vol\n"), r.out)
            XCTAssertTrue(r.out.contains("# ldm_vol_LdmctlGpt_GptSimple\n"), r.out)
            // The lower GUID keeps the plain name, whatever the order.
            XCTAssertTrue(r.out.contains("# uuid LDM-aaaaaaaa-0000-4000-8000-000000000002-"), r.out)
            let show = try run(["show"] + order)
            XCTAssertTrue(show.out.contains("bbbbbbbb-0000-4000-8000-000000000001") && show.out.contains(".dup1"), show.out)
        }
    }

    // MARK: classes 1-3 through the command line

    /// A FIFO, a foreign GPT disk with a whole-range entry, and one image
    /// named three ways, in one scan: no hang, no trap, one group.
    func testHostileDevicesInOneScan() throws {
        var images = try ImageWriter.write(SampleSpecs.standard()).filter { $0.groupName == SampleSpecs.gptGroupName }
        let paths = try write(images)
        var foreign = images.removeFirst()
        let n = foreign.sectorCount
        foreign.setGPTEntry(0, type: GPTForgery.basicDataType, first: 34, last: n / 2)
        foreign.setGPTEntry(2, type: GPTForgery.basicDataType, first: 0, last: .max)
        try foreign.write(to: "\(dir)/foreign.img", includeContent: false)
        XCTAssertEqual(mkfifo("\(dir)/fifo", 0o600), 0)
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/link.img", withDestinationPath: paths[0])
        let args = ["\(dir)/fifo", "\(dir)/foreign.img", paths[0], "\(dir)/link.img", dir + "//" + (paths[0] as NSString).lastPathComponent, paths[1]]
        let show = try run(["show", "--json"] + args, seconds: 20)
        XCTAssertEqual(show.status, 1, show.err)
        XCTAssertTrue(show.err.contains("fifo: not a block device or regular file"), show.err)
        XCTAssertTrue(show.err.contains("foreign.img"), show.err)
        XCTAssertTrue(show.err.contains("link.img is the same disk as"), show.err)
        XCTAssertTrue(show.out.contains("\"clone\": 0") && !show.out.contains("\"clone\": 1"), show.out)
        let probe = try run(["udev", "probe", "\(dir)/foreign.img"])
        XCTAssertEqual(probe.status, 0, probe.err)
        XCTAssertEqual(probe.out, "")
    }
}
