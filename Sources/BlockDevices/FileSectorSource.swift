#if canImport(Glibc)
import SystemIO
import Glibc
#endif
import LDM
import DMTypes

/// A block device or image file opened read-only. Reads go through `pread`,
/// so nothing but the requested sectors is touched.
public final class FileSectorSource: SectorSource, @unchecked Sendable {
    /// The path exactly as given.
    public let path: DevicePath
    public let sectorSize: Int
    public let byteCount: UInt64
    /// The block device's number; nil for an image file.
    public let deviceNumber: DeviceNumber?
    /// Which disk this is, whatever the path: two paths with the same
    /// identity are one disk.
    public let identity: DiskIdentity
    private let fd: Int32

    public var name: String { String(decoding: path.bytes, as: UTF8.self) }

    public enum OpenError: Error, CustomStringConvertible {
        case open(path: DevicePath, errno: Int32)
        case stat(path: DevicePath, errno: Int32)
        case notADisk(path: DevicePath)

        public var description: String {
            switch self {
            case .open(let p, let e): "\(p): cannot open: \(SystemIO.describe(e))"
            case .stat(let p, let e): "\(p): cannot stat: \(SystemIO.describe(e))"
            case .notADisk(let p): "\(p): not a block device or regular file"
            }
        }
    }

    public convenience init(path: String, imageSectorSize: Int = 512) throws {
        try self.init(path: DevicePath(path), imageSectorSize: imageSectorSize)
    }

    /// Opens `path`. For image files the sector size cannot be asked of the
    /// kernel, so it is `imageSectorSize` (512 unless the user says 4096).
    public init(path: DevicePath, imageSectorSize: Int = 512) throws {
        // O_CLOEXEC: a helper started from udev must not leak disk fds.
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
        // writer forever; what was opened is checked with fstat (not a
        // stat before the open, which a rename could outrun).
        let fd = path.withCString { $0.map { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK) } ?? -1 }
        guard fd >= 0 else { throw OpenError.open(path: path, errno: path.bytes.contains(0) ? ENOENT : errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw OpenError.stat(path: path, errno: e)
        }
        let mode = st.st_mode & S_IFMT
        if mode == S_IFBLK || mode == S_IFREG {
            // Disks and files read the same either way; drop the flag so
            // no read can ever return EAGAIN.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        }
        self.path = path
        self.fd = fd
        if mode == S_IFBLK {
            var size: UInt64 = 0
            var ssz: Int32 = 512
            // BLKGETSIZE64 = _IOR(0x12, 114, size_t); BLKSSZGET = _IO(0x12, 104)
            _ = ioctl(fd, 0x8008_1272, &size)
            if ioctl(fd, 0x1268, &ssz) != 0 { ssz = 512 }
            self.byteCount = size
            self.sectorSize = Int(ssz)
            self.deviceNumber = DeviceNumber(encoded: UInt64(st.st_rdev))
            self.identity = .blockDevice(UInt64(st.st_rdev))
        } else if mode == S_IFREG {
            self.byteCount = UInt64(st.st_size)
            self.sectorSize = imageSectorSize
            self.deviceNumber = nil
            self.identity = .file(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
        } else {
            close(fd)
            throw OpenError.notADisk(path: path)
        }
    }

    deinit { close(fd) }

    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw LDMError(.io, device: path.display, location: "byte \(offset)", "read failed: \(SystemIO.describe(errno))")
            }
            if n == 0 {
                throw LDMError(.io, device: path.display, location: "byte \(offset)", "short read: device ends early")
            }
            done += n
        }
        return buffer
    }
}

/// One block device (by device number) or one file (by file system and
/// inode), however it was named: a symlink, `a//b`, a hard link.
public enum DiskIdentity: Hashable, Sendable {
    case blockDevice(UInt64)
    case file(device: UInt64, inode: UInt64)
}
