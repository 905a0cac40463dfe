import Foundation
import XCTest
import LDM
import LDMWriter
import Hotplug

/// The udev boundary: everything `ldmctl udev ...` prints for
/// IMPORT{program} is a `KEY=value` line udev reads as exactly that key
/// and value, whatever bytes a crafted disk puts in its names.
final class InvariantUdevPropertyTests: XCTestCase {
    /// udev's IMPORT parser takes a line up to the newline, the key up to the
    /// first `=`, strips one pair of quotes, and later expands `$`/`%`: so a
    /// safe value has none of those, nor spaces, quotes or control bytes.
    func assertSafeLine(_ line: String, key: String, file: StaticString = #filePath, line l: UInt = #line) {
        let bytes = Array(line.utf8)
        guard let eq = bytes.firstIndex(of: UInt8(ascii: "=")) else { return XCTFail("no = in \(line)", file: file, line: l) }
        XCTAssertEqual(String(decoding: bytes[..<eq], as: UTF8.self), key, file: file, line: l)
        let value = bytes[(eq + 1)...]
        XCTAssertLessThanOrEqual(value.count, UdevProperties.maxValueLength, file: file, line: l)
        for b in value {
            let ok = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || Array("+-._:".utf8).contains(b)
            XCTAssertTrue(ok, "byte 0x\(String(b, radix: 16)) in value of \(LDMName(bytes).display)", file: file, line: l)
        }
    }

    static let hostile: [[UInt8]] = [
        Array("a=b".utf8), Array("KEY=value\nLDM_GROUP_NAME=evil".utf8), Array("\"quoted\"".utf8), Array("'single'".utf8),
        Array("$HOME $(reboot) ${PATH} %k %E{x}".utf8), Array("`id`".utf8), Array("line\nbreak\r\n".utf8),
        [0x61, 0x00, 0x62], [0xFF, 0xFE, 0xC3, 0x28, 0x80], Array("back\\slash".utf8), Array(" leading and trailing ".utf8),
        Array(String(repeating: "x", count: 10_240).utf8), Array(String(repeating: "=\n$", count: 3_500).utf8),
        [], Array("é中Ω".utf8), Array("../../etc/passwd".utf8),
    ]

    func testEscapedValuesAreSingleSafeLines() {
        var props = UdevProperties()
        for raw in Self.hostile { props.set("LDM_GROUP_NAME", LDMName(raw)) }
        props.set("LDM_VOLUME_NAME", String(decoding: [0xFF, 0x0A, 0x3D], as: UTF8.self))   // via String too
        let lines = props.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.count, Self.hostile.count + 1, "a value spilled onto another line")
        for (i, line) in lines.enumerated() {
            assertSafeLine(String(line), key: i < Self.hostile.count ? "LDM_GROUP_NAME" : "LDM_VOLUME_NAME")
        }
        XCTAssertTrue(props.text.hasSuffix("\n"))
    }

    func testEscapingIsReadableAndLongValuesStayDistinct() {
        XCTAssertEqual(UdevProperties.escape(Array("Disk Group 1".utf8)), "Disk_x20Group_x201")
        XCTAssertEqual(UdevProperties.escape(Array("a=b$c".utf8)), "a_x3db_x24c")
        XCTAssertEqual(UdevProperties.escape([0x00, 0x0A, 0xFF]), "_x00_x0a_xff")
        XCTAssertEqual(UdevProperties.escape(Array("E:".utf8)), "E:")
        let a = UdevProperties.escape(Array((String(repeating: "x", count: 10_240) + "a").utf8))
        let b = UdevProperties.escape(Array((String(repeating: "x", count: 10_240) + "b").utf8))
        XCTAssertEqual(a.utf8.count, UdevProperties.maxValueLength)
        XCTAssertNotEqual(a, b, "long values that differ only at the end must stay distinct")
        XCTAssertEqual(a, UdevProperties.escape(Array((String(repeating: "x", count: 10_240) + "a").utf8)), "stable")
    }

    /// End to end: a disk whose group name is hostile, probed as udev does.
    func testProbeOfADiskWithAHostileGroupName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ldmctl-udev-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["a=b\n$(x)`y`\"'%k", "\u{7F}\t\r é", "X=1\nLDM_DISK=0"] {
            let spec = ImageSpec(groups: [.init(name: name, disks: [.init(name: "D", sizeBytes: 8 * ImageSpec.MiB)], volumes: [])])
            let image = try XCTUnwrap(try ImageWriter.write(spec).first)
            let path = dir.appendingPathComponent("disk.img").path
            try image.write(to: path, includeContent: false)
            let props = Probe.run(device: path)
            let lines = props.text.split(separator: "\n").map(String.init)
            XCTAssertTrue(lines.contains("LDM_DISK=1"), "\(lines)")
            XCTAssertEqual(lines.filter { $0.hasPrefix("LDM_DISK=") }.count, 1, "\(lines)")
            let keys = lines.map { String($0.prefix { $0 != "=" }) }
            XCTAssertEqual(Set(keys), ["LDM_DISK", "LDM_PARTITION_STYLE", "LDM_GROUP_GUID", "LDM_DISK_GUID", "LDM_GROUP_NAME", "LDM_PROBE_BYTES"])
            for (line, key) in zip(lines, keys) { assertSafeLine(line, key: key) }
            XCTAssertEqual(lines.first { $0.hasPrefix("LDM_GROUP_NAME=") }, "LDM_GROUP_NAME=" + UdevProperties.escape(Array(name.utf8)))
        }
    }
}
