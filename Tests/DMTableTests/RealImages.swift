import Foundation
import XCTest
import LDM
import BlockDevices

/// The Windows Server 2003 R2 images in ../shared/ldm-images, extracted
/// once per test run into a temporary directory (never into the project).
enum RealImages {
    static let groupGUID = "03c0c4fc-8b6f-402b-9431-4be2e5823b1c"

    static var archive: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/ldm-images/windows-2003r2.tar.xz")
    }

    nonisolated(unsafe) private static var extracted: [String]?

    /// Paths of the ten images. Skips (or, under CI, fails) when the
    /// archive is missing.
    static func paths() throws -> [String] {
        if let extracted { return extracted }
        guard FileManager.default.fileExists(atPath: archive.path) else {
            let message = "real Windows images not found at \(archive.path): put the shared/ folder beside the checkout"
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail(message) }
            throw XCTSkip(message)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ldmctl-real-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try runTool("/usr/bin/tar", ["-xSJf", archive.path, "-C", dir.path])
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".img") }.sorted().map { dir.appendingPathComponent($0).path }
        XCTAssertEqual(files.count, 10)
        extracted = files
        return files
    }

    static func groups(_ paths: [String]) throws -> [DiskGroup] {
        let scan = DiskScanner().scan(paths)
        XCTAssertEqual(scan.errors, [])
        let result = GroupAssembler.assemble(scan.members)
        XCTAssertEqual(result.errors, [])
        return result.groups
    }
}

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

func which(_ tool: String) -> String? {
    for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"] {
        let path = "\(dir)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}
