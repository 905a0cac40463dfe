import DMTable
import LDM
import BlockDevices

/// Reads a device the way the kernel would from its table, in user space:
/// linear, striped, and dm-raid's raid1 and raid5_ls (including a missing
/// member, rebuilt from parity). This checks the tables themselves against
/// known contents without a device-mapper kernel.
struct TableEmulator {
    /// Devices created so far, by /dev/mapper name.
    var devices: [String: DMDevice] = [:]
    var sources: [String: FileSectorSource] = [:]

    init(_ stack: VolumeStack) {
        for d in stack.devices { devices[d.name] = d }
    }

    enum Failure: Error { case unknownTarget(String), badParams(String) }

    mutating func source(_ path: String) throws -> FileSectorSource {
        if let s = sources[path] { return s }
        let s = try FileSectorSource(path: path)
        sources[path] = s
        return s
    }

    /// `count` 512-byte sectors from `sector` of the device named `name`
    /// (a /dev/mapper path or a file).
    mutating func read(_ path: String, _ sector: UInt64, _ count: Int) throws -> [UInt8] {
        let mapper = "/dev/mapper/"
        if path.hasPrefix(mapper), let d = devices[String(path.dropFirst(mapper.count))] {
            return try read(d, sector, count)
        }
        return try source(path).read(at: sector * 512, count: count * 512)
    }

    mutating func read(_ device: DMDevice, _ sector: UInt64, _ count: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        var s = sector
        let end = sector + UInt64(count)
        while s < end {
            guard let t = device.targets.first(where: { $0.start <= s && s < $0.start + $0.length }) else {
                throw Failure.badParams("sector \(s) outside \(device.name)")
            }
            let n = Int(min(end, t.start + t.length) - s)
            out += try read(t, s - t.start, n)
            s += UInt64(n)
        }
        return out
    }

    mutating func read(_ t: DMTarget, _ offset: UInt64, _ count: Int) throws -> [UInt8] {
        let p = t.params.split(separator: " ").map(String.init)
        switch t.type {
        case "linear":
            return try read(p[0], UInt64(p[1])! + offset, count)
        case "striped":
            let stripes = Int(p[0])!, chunk = UInt64(p[1])!
            var out: [UInt8] = []
            var s = offset
            let end = offset + UInt64(count)
            while s < end {
                // The rest of this chunk lies contiguously on one column.
                let n = min(end - s, chunk - s % chunk)
                let chunkIndex = s / chunk
                let column = Int(chunkIndex % UInt64(stripes))
                let row = chunkIndex / UInt64(stripes)
                out += try read(p[2 + 2 * column], UInt64(p[3 + 2 * column])! + row * chunk + s % chunk, Int(n))
                s += n
            }
            return out
        case "raid":
            let level = p[0]
            let paramCount = Int(p[1])!
            let chunk = UInt64(p[2])!
            let n = Int(p[2 + paramCount])!
            let members: [String?] = (0..<n).map { i in
                let dev = p[3 + paramCount + 2 * i + 1]
                return dev == "-" ? nil : dev
            }
            if level == "raid1" {
                guard let m = members.compactMap({ $0 }).first else { throw Failure.badParams("no mirror leg") }
                return try read(m, offset, count)
            }
            guard level == "raid5_ls" else { throw Failure.unknownTarget(level) }
            var out: [UInt8] = []
            var s = offset
            let end = offset + UInt64(count)
            while s < end {
                let run = min(end - s, chunk - s % chunk)
                let chunkIndex = s / chunk
                let row = chunkIndex / UInt64(n - 1)
                let k = Int(chunkIndex % UInt64(n - 1))
                // Left-symmetric: parity moves left one disk per row; data
                // starts on the disk after the parity and wraps.
                let parity = (n - 1) - Int(row % UInt64(n))
                let disk = (parity + 1 + k) % n
                let memberSector = row * chunk + s % chunk
                if let m = members[disk] {
                    out += try read(m, memberSector, Int(run))
                } else {
                    var x = [UInt8](repeating: 0, count: Int(run) * 512)
                    for (i, other) in members.enumerated() where i != disk {
                        let b = try read(other!, memberSector, Int(run))
                        for j in 0..<x.count { x[j] ^= b[j] }
                    }
                    out += x
                }
                s += run
            }
            return out
        default:
            throw Failure.unknownTarget(t.type)
        }
    }

    /// Writes the whole top device to `path` (for ntfscat).
    mutating func dump(_ stack: VolumeStack, to path: String) throws {
        let top = stack.top
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        var s: UInt64 = 0
        while s < top.length {
            let n = Int(min(2048, top.length - s))
            let bytes = try read(top, s, n)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            s += UInt64(n)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
