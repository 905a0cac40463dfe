import XCTest
import LDM
import LDMWriter

/// Reads written images the way ldmctl reads disks: each alone, then
/// assembled into groups. Per-disk errors are returned, not thrown.
struct ReadResult {
    var groups: [DiskGroup]
    var errors: [LDMError]

    var errorText: String { errors.map(\.description).joined(separator: "\n") }
    func group(_ name: String) -> DiskGroup? { groups.first { $0.name.display == name } }
}

func readImages(_ images: [DiskImage]) -> ReadResult {
    var members: [DiskMetadata] = []
    var errors: [LDMError] = []
    for image in images {
        do {
            members.append(try DiskMetadata.read(from: image))
        } catch let e as LDMError {
            errors.append(e)
        } catch {
            XCTFail("non-LDMError thrown: \(error)")
        }
    }
    let assembled = GroupAssembler.assemble(members)
    return ReadResult(groups: assembled.groups, errors: errors + assembled.errors)
}

func written(_ spec: ImageSpec) throws -> [DiskImage] {
    try ImageWriter.write(spec)
}

/// Big-endian bytes of `value`, `width` wide.
func be(_ value: UInt64, _ width: Int) -> [UInt8] {
    (0..<width).reversed().map { UInt8((value >> (8 * UInt64($0))) & 0xFF) }
}

extension XCTestCase {
    /// ldmtool over `images` written (without content) to a directory
    /// removed when the test ends; skips the test if ldmtool is missing.
    func ldmtool(on images: [DiskImage]) throws -> WriterLdmtoolTests.Tool {
        guard FileManager.default.isExecutableFile(atPath: WriterLdmtoolTests.ldmtool) else {
            throw XCTSkip("\(WriterLdmtoolTests.ldmtool) not installed (apt-get install ldmtool)")
        }
        let dir = URL(fileURLWithPath: try temporaryDirectory())
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return WriterLdmtoolTests.Tool(devices: try images.map { image in
            let path = dir.appendingPathComponent(image.fileName).path
            try image.write(to: path, includeContent: false)
            return path
        })
    }

    /// Expects exactly one error, of `kind`, naming `device` and containing
    /// every fragment in `mentions`.
    func assertOneError(_ r: ReadResult, kind: LDMError.Kind, device: String, mentions: [String],
                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.errors.count, 1, r.errorText, file: file, line: line)
        guard let e = r.errors.first else { return }
        XCTAssertEqual(e.kind, kind, e.description, file: file, line: line)
        XCTAssertEqual(e.device, device, e.description, file: file, line: line)
        for m in mentions {
            XCTAssertTrue(e.description.contains(m), "\"\(e.description)\" does not mention \"\(m)\"", file: file, line: line)
        }
    }
}
