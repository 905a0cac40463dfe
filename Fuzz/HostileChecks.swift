import LDM
import DMTable
import LDMTestSupport
import Hotplug
@testable import ShowRendering
#if canImport(Glibc)
import Glibc
#endif

/// What the fuzzer checks beyond the table pipeline: the udev helper's
/// record path, the udev probe on a real file, and what `show` prints.
enum HostileChecks {
    /// A record of a disk, stored and read back, gives the same metadata
    /// (`records[i]` is the record of `members[i]`), so the groups the
    /// helper builds from records are the groups ldmctl builds from the
    /// disks; its partition roles lie inside the disk.
    static func records(_ records: [RecordedDisk], members: [DiskMetadata]) {
        for (r, m) in zip(records, members) {
            let sectors512 = r.byteCount / 512
            // A volume's pieces lie inside the disk (an MBR entry may claim
            // more than the disk: the kernel truncates it, and so may we).
            for p in r.partitions where p.role != "container" {
                let (end, overflow) = p.start.addingReportingOverflow(p.size)
                check(!overflow && end <= sectors512, "\(r.device): partition role \(p.role) \(p.start)+\(p.size) lies outside the disk")
            }
            guard let back = RecordedDisk.decode(r.encoded()) else { fail("\(r.device): its record does not decode") }
            check(back.partitions == r.partitions && back.diskGUID == r.diskGUID && back.groupGUID == r.groupGUID
                         && back.byteCount == r.byteCount && back.extents.count == r.extents.count,
                         "\(r.device): its record decodes to something else")
            // Read back, the record gives the disk's metadata exactly (all
            // but the byte count), so the helper assembles from records the
            // groups ldmctl assembles from the disks: assembly is a function
            // of the metadata, and its order independence is checked apart.
            do {
                let again = try back.metadata()
                check(again.device == m.device && again.sectorSize == m.sectorSize && again.diskSectors == m.diskSectors
                      && again.partitionTable == m.partitionTable && again.privateHeader == m.privateHeader
                      && again.toc == m.toc && again.vmdb == m.vmdb && again.records == m.records && again.notes == m.notes,
                      "\(r.device): its record reads back as other metadata")
            } catch {
                fail("\(r.device): the recorded bytes no longer read: \(error)")
            }
        }
    }

    /// A group's configuration comes from one of its own present disks
    /// (a disk never supplies a configuration that leaves itself out).
    static func groups(_ groups: [DiskGroup]) {
        for g in groups {
            check(g.disks.contains { $0.location?.device == g.databaseSource },
                  "group \(g.guid): its configuration comes from \(g.databaseSource), which is not one of its present disks")
        }
    }

    /// `show` prints printable ASCII and newlines only (everything from disk
    /// is escaped); `show --json` is valid JSON.
    static func show(_ groups: [DiskGroup], errors: [String]) {
        let text = groups.map(ShowOutput.text).joined()
        check(text.utf8.allSatisfy { $0 == 0x0A || (0x20..<0x7F).contains($0) },
                     "show printed a byte a terminal would interpret")
        let json = ShowOutput.json(groups: groups, errors: errors).rendered()
        check(JSONCheck.isValid(Array(json.utf8)), "show --json printed invalid JSON")
    }

    /// One file reused for every disk: sized and filled with the disk's
    /// extents (holes read as zeros, as in the sparse source).
    nonisolated(unsafe) static var file: (fd: Int32, path: String)? = {
        var template = Array("/dev/shm/ldm-fuzz-disk.XXXXXX".utf8CString)
        var fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 {
            template = Array("/tmp/ldm-fuzz-disk.XXXXXX".utf8CString)
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        }
        guard fd >= 0 else { return nil }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return (fd, "/proc/self/fd/\(fd)")
    }()

    /// Byte ranges of the file the last disk wrote (not yet zeroed).
    nonisolated(unsafe) static var written: [(offset: UInt64, count: Int)] = []

    /// Makes the file read as `disk`: `bytes` long, its extents in place,
    /// zeros elsewhere. The last disk's ranges are overwritten with zeros
    /// rather than the file truncated to nothing (which freed and allocated
    /// every page again: a tenth of each run), and nearby extents are
    /// written as one range (one pwrite, not one per extent).
    static func fill(_ fd: Int32, with disk: FuzzDisks.Disk, bytes: UInt64) -> Bool {
        for r in written where r.offset < bytes {
            let n = Int(min(UInt64(r.count), bytes - r.offset))
            let zeros = [UInt8](repeating: 0, count: n)
            guard zeros.withUnsafeBytes({ pwrite(fd, $0.baseAddress, n, off_t(r.offset)) }) == n else { return false }
        }
        written = []
        guard ftruncate(fd, off_t(bytes)) == 0 else { return false }
        for (lo, hi) in windows(disk.extents, below: bytes) {
            var buffer = [UInt8](repeating: 0, count: Int(hi - lo))
            // In input order: a later extent covers an earlier one.
            for e in disk.extents where e.offset < hi {
                let (eEnd, wraps) = e.offset.addingReportingOverflow(UInt64(e.bytes.count))
                let from = max(e.offset, lo), to = min(wraps ? UInt64.max : eEnd, hi)
                guard from < to else { continue }
                buffer.replaceSubrange(Int(from - lo)..<Int(to - lo),
                                       with: e.bytes[Int(from - e.offset)..<Int(to - e.offset)])
            }
            written.append((lo, buffer.count))
            guard buffer.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, off_t(lo)) }) == buffer.count else { return false }
        }
        return true
    }

    /// The extents' byte ranges below `end`, joined where less than a page
    /// apart, in offset order.
    static func windows(_ extents: [(offset: UInt64, bytes: [UInt8])], below end: UInt64) -> [(UInt64, UInt64)] {
        var ranges: [(UInt64, UInt64)] = []
        for e in extents where e.offset < end && !e.bytes.isEmpty {
            ranges.append((e.offset, e.offset + min(UInt64(e.bytes.count), end - e.offset)))
        }
        ranges.sort { $0.0 < $1.0 }
        var out: [(UInt64, UInt64)] = []
        for r in ranges {
            if let last = out.last, r.0 <= last.1 + 4096 {
                out[out.count - 1].1 = max(last.1, r.1)
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// `ldmctl udev probe` on each disk: it never traps, says LDM_DISK=1 for
    /// every disk the reader accepts, names the same group, and prints only
    /// safe, bounded values.
    static func probe(_ disks: [FuzzDisks.Disk], sectorSize: Int, members: [DiskMetadata], readOK: [Bool]) {
        guard let (fd, path) = file else { return }
        var member = members.makeIterator()
        for (i, disk) in disks.enumerated() {
            let m = readOK[i] ? member.next() : nil
            let (bytes, overflow) = disk.sectors.multipliedReportingOverflow(by: UInt64(sectorSize))
            guard !overflow, bytes <= UInt64(Int64.max), fill(fd, with: disk, bytes: bytes) else { continue }
            let lines = Probe.run(device: path, imageSectorSize: sectorSize).lines
            var values: [String: String] = [:]
            for line in lines {
                let kv = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                check(kv.count == 2 && kv[1].utf8.count <= UdevProperties.maxValueLength
                             && kv[1].utf8.allSatisfy(UdevProperties.isSafe), "probe printed an unsafe line: \(line)")
                values[String(kv[0])] = String(kv[1])
            }
            if let m {
                check(values["LDM_DISK"] == "1", "probe missed an LDM disk the reader accepts (disk \(i))")
                if let g = values["LDM_GROUP_GUID"] {
                    check(g == m.privateHeader.groupGUID.text, "probe and reader disagree about the group of disk \(i)")
                }
            }
        }
    }
}

/// Says why, then traps (an optimized build drops precondition messages).
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

func fail(_ message: String) -> Never {
    warn("invariant violated: \(message)\n")
    preconditionFailure(message)
}

/// A strict JSON (RFC 8259) syntax check: one value, nothing after it, no
/// raw control character inside a string.
enum JSONCheck {
    static func isValid(_ b: [UInt8]) -> Bool {
        var i = 0
        func ws() { while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 } }
        func literal(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard b.count - i >= w.count, Array(b[i..<i + w.count]) == w else { return false }
            i += w.count
            return true
        }
        func string() -> Bool {
            guard i < b.count, b[i] == 0x22 else { return false }
            i += 1
            while i < b.count {
                let c = b[i]
                if c == 0x22 { i += 1; return true }
                if c < 0x20 { return false }
                if c == 0x5C {
                    i += 1
                    guard i < b.count else { return false }
                    if b[i] == UInt8(ascii: "u") {
                        guard b.count - i > 4, b[i + 1...i + 4].allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }) else { return false }
                        i += 4
                    } else if !"\"\\/bfnrt".utf8.contains(b[i]) { return false }
                }
                i += 1
            }
            return false
        }
        func number() -> Bool {
            let start = i
            if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            return i > start && b[i - 1] != UInt8(ascii: "-")
        }
        func value(_ depth: Int) -> Bool {
            guard depth < 64 else { return false }
            ws()
            guard i < b.count else { return false }
            switch b[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let object = b[i] == UInt8(ascii: "{")
                let close = object ? UInt8(ascii: "}") : UInt8(ascii: "]")
                i += 1
                ws()
                if i < b.count, b[i] == close { i += 1; return true }
                while true {
                    if object {
                        ws()
                        guard string() else { return false }
                        ws()
                        guard i < b.count, b[i] == UInt8(ascii: ":") else { return false }
                        i += 1
                    }
                    guard value(depth + 1) else { return false }
                    ws()
                    guard i < b.count else { return false }
                    if b[i] == close { i += 1; return true }
                    guard b[i] == UInt8(ascii: ",") else { return false }
                    i += 1
                }
            case 0x22: return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }
        guard value(0) else { return false }
        ws()
        return i == b.count
    }
}
