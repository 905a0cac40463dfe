import XCTest
import LDM
import LDMWriter
import BlockDevices

/// Odd things given as a device: a FIFO, and one disk under several names.
final class HostileDeviceTests: XCTestCase {
    /// Opening a FIFO for reading used to wait for a writer forever.
    func testFIFOIsRefusedWithoutBlocking() throws {
        let dir = try temporaryDirectory()
        defer { removeDirectory(dir) }
        let fifo = "\(dir)/disk.fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        XCTAssertThrowsError(try FileSectorSource(path: fifo)) { error in
            XCTAssertTrue("\(error)".contains("not a block device or regular file"), "\(error)")
            XCTAssertTrue("\(error)".contains(fifo), "\(error)")
        }
        let scan = DiskScanner().scan([fifo])
        XCTAssertEqual(scan.members.count, 0)
        XCTAssertEqual(scan.errors.count, 1)
    }

    /// The same image as itself, through a symlink, as `dir//name` and
    /// through a hard link: one disk, not a clone set of itself.
    func testOneDiskUnderManyNamesIsReadOnce() throws {
        let dir = try temporaryDirectory()
        defer { removeDirectory(dir) }
        let images = try written(SampleSpecs.standard()).filter { $0.groupName == SampleSpecs.mbrGroupName }
        var paths: [String] = []
        for image in images {
            paths.append("\(dir)/\(image.name).img")
            try image.write(to: paths.last!, includeContent: false)
        }
        let first = paths[0]
        XCTAssertEqual(symlink(first, "\(dir)/link.img"), 0)
        XCTAssertEqual(link(first, "\(dir)/hard.img"), 0)
        let aliases = [first, "\(dir)/link.img", "\(dir)//Disk1.img", "\(dir)/./Disk1.img", "\(dir)/hard.img"]
        let scan = DiskScanner().scan(aliases + paths.dropFirst())
        XCTAssertEqual(scan.errors, [])
        XCTAssertEqual(scan.members.count, images.count)
        XCTAssertEqual(scan.notes.count, aliases.count - 1)
        XCTAssertTrue(scan.notes.allSatisfy { $0.contains("same disk as \(first)") }, "\(scan.notes)")
        let groups = GroupAssembler.assemble(scan.members).groups
        XCTAssertEqual(groups.map(\.cloneIndex), [0])
        XCTAssertEqual(groups.first?.presentDiskCount, images.count)
    }
}
