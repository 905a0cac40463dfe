#if canImport(Glibc)
import Glibc
#endif
import LDM

/// One sector (or run of sectors) to write on one member disk.
public struct SectorWrite: Equatable, Sendable {
    public var device: DevicePath
    /// Logical sector.
    public var lba: UInt64
    public var bytes: [UInt8]
    /// What it is, for the plan ("VMDB", "VBLK slots 40-43", "KLOG page 0").
    public var what: String
}

/// Where a change's sectors go. The transaction writer calls `write` once
/// per sector run, in order, and stops at the first error.
public protocol SectorWriter {
    mutating func write(_ w: SectorWrite, sectorSize: Int) throws
}

/// Writes to files or block devices: pwrite, fsync, then reads the sectors
/// back and compares, so a write that did not land is an error. Block
/// devices are opened O_EXCL: Linux then refuses a disk that is mounted or
/// held by device-mapper.
public final class FileSectorWriter: SectorWriter {
    private var fds: [DevicePath: Int32] = [:]
    /// fsync after each write; tests that cut thousands of transactions
    /// short on scratch files turn it off (the read back stays).
    let sync: Bool
    public init(sync: Bool = true) { self.sync = sync }
    deinit { for fd in fds.values { close(fd) } }

    public func write(_ w: SectorWrite, sectorSize: Int) throws {
        let fd = try open(w.device)
        let offset = off_t(w.lba) * off_t(sectorSize)
        let written = w.bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, offset) }
        guard written == w.bytes.count else {
            throw EditError("\(w.device): writing \(w.what) at sector \(w.lba) failed: \(written < 0 ? String(cString: strerror(errno)) : "short write")")
        }
        guard !sync || fsync(fd) == 0 else {
            throw EditError("\(w.device): fsync after writing \(w.what) failed: \(String(cString: strerror(errno)))")
        }
        var back = [UInt8](repeating: 0, count: w.bytes.count)
        let read = back.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
        guard read == w.bytes.count, back == w.bytes else {
            throw EditError("\(w.device): \(w.what) at sector \(w.lba) reads back different from what was written")
        }
    }

    /// Asks the kernel to read the partition tables of the block devices
    /// written again (BLKRRPART), so its LDM partitions follow the change;
    /// returns one line per device that could not (image files are skipped).
    public func rereadPartitions() -> [String] {
        var problems: [String] = []
        for (device, fd) in fds.sorted(by: { $0.key < $1.key }) {
            var st = stat()
            guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFBLK else { continue }
            if ioctl(fd, 0x125F /* BLKRRPART */) != 0 {
                problems.append("\(device): the kernel did not re-read its partitions: \(String(cString: strerror(errno)))")
            }
        }
        return problems
    }

    private func open(_ device: DevicePath) throws -> Int32 {
        if let fd = fds[device] { return fd }
        let fd = device.bytes.withUnsafeBufferPointer { b -> Int32 in
            var path = Array(b) + [0]
            return path.withUnsafeMutableBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { Glibc.open($0, O_RDWR | O_CLOEXEC | O_EXCL) }
            }
        }
        guard fd >= 0 else { throw EditError("\(device): cannot open for writing: \(String(cString: strerror(errno)))") }
        fds[device] = fd
        return fd
    }
}

/// The fault-injection hook: passes writes on to `base` until the
/// `failAt`-th (1-based), which fails without writing, as a crash or a
/// pulled cable would leave the disks.
public struct FailingSectorWriter<Base: SectorWriter>: SectorWriter {
    public var base: Base
    public let failAt: Int
    public private(set) var count = 0
    public init(_ base: Base, failAt: Int) { self.base = base; self.failAt = failAt }

    public struct Injected: Error {}

    public mutating func write(_ w: SectorWrite, sectorSize: Int) throws {
        count += 1
        if count == failAt { throw Injected() }
        try base.write(w, sectorSize: sectorSize)
    }
}
