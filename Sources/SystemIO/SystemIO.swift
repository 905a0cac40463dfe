#if canImport(Glibc)
import Glibc
#endif

/// An errno value, with strerror's words as its description.
public struct Errno: Error, Equatable, CustomStringConvertible, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// The calling thread's errno now.
    public static var current: Errno { Errno(rawValue: errno) }
    public var description: String { String(cString: strerror(rawValue)) }
}

/// The few POSIX file operations ldmctl needs, in one place: one write-all
/// loop, one whole-file read, one directory listing, one bounded flock(2)
/// wait, one errno text. Every read and write retries on EINTR.
///
/// Not on swift-system, on purpose: SwiftPM links every object file of a
/// dependency, and swift-system brought 243 more dynamic symbol imports
/// and its conformance records into ldmctl. Measured with callgrind on the
/// stripped release binary, the udev probe, which runs once per block
/// device event, went from 5,479,258 to 5,730,543 instructions (+4.6%)
/// with nothing of swift-system on its path.
public enum SystemIO {
    /// strerror's words for an errno value.
    public static func describe(_ code: Int32) -> String { Errno(rawValue: code).description }

    /// Writes all of `bytes` to `fd`. False if it could not (the error is dropped:
    /// callers write to stdout, stderr or logs, where there is no one to tell).
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                done += n
            }
            return true
        }
    }

    /// Creates or truncates `path` (mode 0644) and writes `bytes` to it.
    public static func writeFile(_ path: String, _ bytes: [UInt8]) throws(Errno) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .current }
        guard writeAll(fd, bytes) else {
            let e = Errno.current
            close(fd)
            throw e.rawValue == 0 ? Errno(rawValue: EIO) : e
        }
        guard close(fd) == 0 else { throw .current }
    }

    /// The whole file; nil if it cannot be read or is longer than `limit`.
    public static func readFile(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while out.count <= limit {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
        return nil
    }

    /// The names in a directory, without `.` and `..`, unsorted.
    public static func listDirectory(_ path: String) throws(Errno) -> [String] {
        guard let dir = opendir(path) else { throw .current }
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

    private var descriptor: Int32

    /// Takes the lock (creating the file, mode 0600), polling with a
    /// backoff from 1 ms to 100 ms until `timeout` seconds have passed.
    public init(path: String, timeout: Double) throws(Failure) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .open(path: path, .current) }
        let deadline = SystemIO.monotonicSeconds() + timeout
        var pause: UInt32 = 1000
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            guard code == EWOULDBLOCK else {
                close(fd)
                throw .lock(path: path, Errno(rawValue: code))
            }
            guard SystemIO.monotonicSeconds() < deadline else {
                close(fd)
                throw .timedOut(path: path, seconds: timeout)
            }
            usleep(pause)
            pause = min(pause * 2, 100_000)
        }
        descriptor = fd
    }

    /// Closing the descriptor releases the lock.
    public func release() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    deinit { release() }
}
