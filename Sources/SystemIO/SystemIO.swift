import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The few POSIX file operations ldmctl needs, in one place, on
/// swift-system's typed descriptors and `Errno` (reads and writes retry on
/// EINTR there). No Foundation: it costs the udev probe nothing at start-up.
public enum SystemIO {
    /// strerror's words for an errno value.
    public static func describe(_ code: Int32) -> String { Errno(rawValue: code).description }

    /// Writes all of `bytes` to `fd`. False if it could not (the error is dropped:
    /// callers write to stdout, stderr or logs, where there is no one to tell).
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        (try? FileDescriptor(rawValue: fd).writeAll(bytes)) != nil
    }

    /// Creates or truncates `path` and writes `bytes` to it.
    public static func writeFile(_ path: String, _ bytes: [UInt8], permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]) throws(Errno) {
        do {
            let fd = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.create, .truncate, .closeOnExec],
                                             permissions: permissions)
            try fd.closeAfter { _ = try fd.writeAll(bytes) }
        } catch let e as Errno {
            throw e
        } catch {
            throw Errno.ioError
        }
    }

    /// The whole file; nil if it cannot be read or is longer than `limit`.
    public static func readFile(_ path: String, limit: Int) -> [UInt8]? {
        guard let fd = try? FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec]) else { return nil }
        defer { try? fd.close() }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while out.count <= limit {
            guard let n = try? buffer.withUnsafeMutableBytes({ try fd.read(into: $0) }) else { return nil }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
        return nil
    }

    /// The names in a directory, without `.` and `..`, unsorted.
    public static func listDirectory(_ path: String) throws(Errno) -> [String] {
        guard let dir = opendir(path) else { throw Errno(rawValue: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Seconds on a clock that never jumps, for bounded waits (a wall
    /// clock may jump at boot).
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// An exclusive flock(2) on a lock file, taken with a bounded wait: every
/// caller (udev workers, units, the command line) must give up and say so
/// rather than hang until udev or systemd kills it.
public final class FileLock {
    public enum Failure: Error, CustomStringConvertible {
        case open(path: String, Errno)
        case timedOut(path: String, seconds: Double)
        case lock(path: String, Errno)

        public var description: String {
            switch self {
            case let .open(path, e): "cannot open \(path): \(e)"
            case let .timedOut(path, seconds): "gave up waiting for \(path) after \(Int(seconds)) s: another ldmctl holds it"
            case let .lock(path, e): "cannot lock \(path): \(e)"
            }
        }
    }

    private var descriptor: FileDescriptor?

    /// Takes the lock (creating the file, mode 0600), polling with a
    /// backoff from 1 ms to 100 ms until `timeout` seconds have passed.
    public init(path: String, timeout: Double) throws(Failure) {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readWrite, options: [.create, .closeOnExec],
                                         permissions: [.ownerReadWrite])
        } catch let e as Errno {
            throw .open(path: path, e)
        } catch {
            throw .open(path: path, .ioError)
        }
        let deadline = SystemIO.monotonicSeconds() + timeout
        var pause: UInt32 = 1000
        while flock(fd.rawValue, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            guard code == EWOULDBLOCK else {
                try? fd.close()
                throw .lock(path: path, Errno(rawValue: code))
            }
            guard SystemIO.monotonicSeconds() < deadline else {
                try? fd.close()
                throw .timedOut(path: path, seconds: timeout)
            }
            usleep(pause)
            pause = min(pause * 2, 100_000)
        }
        descriptor = fd
    }

    /// Closing the descriptor releases the lock.
    public func release() {
        try? descriptor?.close()
        descriptor = nil
    }

    deinit { release() }
}
