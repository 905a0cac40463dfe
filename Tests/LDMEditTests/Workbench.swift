import Foundation
import XCTest
import LDM
import LDMWriter
import BlockDevices
@testable import LDMEdit

/// Written images as files in a temporary directory, and what the tests
/// need around them: load the group, snapshot and restore the database
/// areas, compare everything outside them.
struct Workbench {
    let dir: String
    let paths: [String]
    var sectorSize = 512

    init(_ spec: ImageSpec, files: [String]? = nil) throws {
        dir = NSTemporaryDirectory() + "ldmedit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var paths: [String] = []
        if let files {
            for f in files {
                let p = dir + "/" + (f as NSString).lastPathComponent
                try runTool("/bin/cp", ["--sparse=always", f, p])
                paths.append(p)
            }
        } else {
            for image in try ImageWriter.write(spec) {
                let p = dir + "/" + image.fileName
                try image.write(to: p, includeContent: false)
                paths.append(p)
            }
        }
        self.paths = paths
    }

    static func real() throws -> Workbench {
        try Workbench(ImageSpec(groups: []), files: try RealImagesCopy.paths())
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }

    func load() throws -> GroupLoader {
        GroupLoader(sources: try paths.map { try FileSectorSource(path: $0, imageSectorSize: sectorSize) })
    }

    func editable(_ group: String? = nil) throws -> EditableGroup {
        try load().editable(group)
    }

    /// The single group as read, and the reader's errors.
    func read() throws -> (group: DiskGroup?, errors: [String]) {
        let l = try load()
        return (l.groups.count == 1 ? l.groups[0] : nil, l.errors + (l.groups.count == 1 ? [] : ["\(l.groups.count) groups"]))
    }

    /// Every file's bytes.
    func contents() throws -> [[UInt8]] {
        try paths.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
    }

    func restore(_ saved: [[UInt8]], ranges: [Range<Int>]) throws {
        for (i, p) in paths.enumerated() {
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: p))
            try h.seek(toOffset: UInt64(ranges[i].lowerBound))
            h.write(Data(saved[i][ranges[i]]))
            try h.close()
        }
    }

    /// Byte ranges of each member's 1 MiB database.
    func databaseRanges() throws -> [Range<Int>] {
        try paths.map { p in
            let m = try DiskMetadata.read(from: FileSectorSource(path: p, imageSectorSize: sectorSize))
            let ss = m.sectorSize
            return Int(m.privateHeader.configStart) * ss..<Int(m.privateHeader.configStart + m.privateHeader.configSize) * ss
        }
    }
}

/// A group's configuration as text, for old-or-new comparisons.
func describe(_ g: DiskGroup) -> String {
    var lines = ["group \(g.name.display) committed \(g.committedSequence)"]
    for v in g.volumes.sorted(by: { $0.name < $1.name }) {
        lines.append("volume \(v.name.display) \(v.type.rawValue) \(v.size) chunk \(v.chunkSize) hint \(v.driveHint?.display ?? "-") guid \(v.guid?.text ?? "-") \(v.state.rawValue)")
        for c in v.components {
            lines.append("  component \(c.name.display)")
            for p in c.partitions {
                lines.append("    \(p.name.display) disk \(g.disk(id: p.diskID)?.name.display ?? "?") \(p.start)+\(p.size) offset \(p.volumeOffset) column \(p.column)")
            }
        }
    }
    for d in g.disks { lines.append("disk \(d.name.display) \(d.guid) regions \(d.regions.map { "\($0.start)+\($0.size):\($0.partitionName?.display ?? "free")" })") }
    return lines.joined(separator: "\n")
}

/// Same as `describe` without the committed sequence.
func shape(_ g: DiskGroup) -> String { describe(g).split(separator: "\n").dropFirst().joined(separator: "\n") }

@discardableResult
func runTool(_ tool: String, _ args: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tool)
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw NSError(domain: "run", code: Int(p.terminationStatus),
                      userInfo: [NSLocalizedDescriptionKey: "\(tool) \(args.joined(separator: " ")) exited \(p.terminationStatus)"])
    }
    return String(decoding: data, as: UTF8.self)
}

/// The Windows Server 2003 R2 images, extracted at test time into a
/// temporary directory (never into the project); skipped when absent.
enum RealImagesCopy {
    static var archive: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/ldm-images/windows-2003r2.tar.xz").path
    }
    nonisolated(unsafe) static var extracted: [String]?

    static func paths() throws -> [String] {
        if let extracted { return extracted }
        guard FileManager.default.fileExists(atPath: archive) else {
            let message = "real Windows images not found at \(archive)"
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail(message) }
            throw XCTSkip(message)
        }
        let dir = NSTemporaryDirectory() + "ldmedit-real-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try runTool("/usr/bin/tar", ["-xSJf", archive, "-C", dir])
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".img") }.sorted().map { dir + "/" + $0 }
        extracted = files
        return files
    }
}

/// ldmtool's view of a volume; nil when ldmtool is not installed.
enum Ldmtool {
    static let path = "/usr/bin/ldmtool"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: path) }

    static func json(_ paths: [String], _ args: [String]) throws -> [String: Any] {
        let out = try runTool(path, paths.flatMap { ["-d", $0] } + args)
        return try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
    }

    /// Checks that ldmtool reads `v` as ldmctl does: type, size, chunk,
    /// partitions in order, and each partition's disk, start and size.
    static func assertAgrees(_ paths: [String], _ g: DiskGroup, _ v: Volume, file: StaticString = #filePath, line: UInt = #line) throws {
        guard available else { return }
        let lv = try json(paths, ["show", "volume", g.guid.text, v.name.display])
        XCTAssertEqual((lv["type"] as? String)?.lowercased(), v.type.rawValue, v.name.display, file: file, line: line)
        XCTAssertEqual((lv["size"] as? NSNumber)?.uint64Value, v.size, v.name.display, file: file, line: line)
        XCTAssertEqual((lv["chunk-size"] as? NSNumber)?.uint64Value, v.chunkSize, v.name.display, file: file, line: line)
        XCTAssertEqual(lv["partitions"] as? [String], v.partitions.map(\.name.display), v.name.display, file: file, line: line)
        for p in v.partitions {
            let lp = try json(paths, ["show", "partition", g.guid.text, p.name.display])
            XCTAssertEqual((lp["start"] as? NSNumber)?.uint64Value, p.start, p.name.display, file: file, line: line)
            XCTAssertEqual((lp["size"] as? NSNumber)?.uint64Value, p.size, p.name.display, file: file, line: line)
            XCTAssertEqual(lp["disk"] as? String, g.disk(id: p.diskID)?.name.display, p.name.display, file: file, line: line)
        }
    }
}
