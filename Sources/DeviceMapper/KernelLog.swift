#if canImport(Glibc)
import Glibc
#endif

/// A read position at the end of the kernel log (/dev/kmsg). The ioctls only
/// return an errno; the kernel writes its actual reason ("raid: Device lookup
/// failed", "table: ... too small for target") to its log, so we remember
/// where the log ended before a call and collect what was added on failure.
struct KernelLogCursor: ~Copyable {
    private let fd: Int32

    /// Collects nothing when disabled (queries) or when /dev/kmsg is not
    /// readable, e.g. not root.
    init(enabled: Bool = true) {
        let fd = enabled ? open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1
        if fd >= 0 { lseek(fd, 0, SEEK_END) }
        self.fd = fd
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Device-mapper and md (dm-raid) lines logged since init.
    func newMessages() -> [String] {
        guard fd >= 0 else { return [] }
        var lines: [String] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                // EPIPE: records were overwritten before we read them; go on.
                if errno == EPIPE { continue }
                break
            }
            if n == 0 { break }
            // Record: "<prio>,<seq>,<usec>,<flags>;<text>\n[ KEY=value\n...]"
            let record = buffer[0..<n]
            guard let semicolon = record.firstIndex(of: UInt8(ascii: ";")) else { continue }
            let textStart = record.index(after: semicolon)
            let textEnd = record[textStart...].firstIndex(of: 10) ?? record.endIndex
            let text = String(decoding: record[textStart..<textEnd], as: UTF8.self)
            if text.hasPrefix("device-mapper:") || text.hasPrefix("md/") || text.hasPrefix("md:") {
                lines.append(text)
            }
        }
        return lines
    }
}
