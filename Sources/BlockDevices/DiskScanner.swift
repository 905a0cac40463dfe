#if canImport(Glibc)
import SystemIO
import Glibc
#endif
import LDM

/// Reads the LDM metadata of the devices a command names, or of every
/// suitable block device when it names none.
public struct DiskScanner {
    public struct Result: Sendable {
        public var members: [DiskMetadata]
        /// Devices that were asked for and could not be read. For a system
        /// scan, devices without LDM metadata are not errors.
        public var errors: [String]
        /// Paths left out because they name a disk already read.
        public var notes: [String]
    }

    public var imageSectorSize: Int
    /// With udev: only disks udev has announced (see
    /// `SystemDisks.udevWholeDisks(announcedOnly:)`); for the monitor.
    public var announcedOnly: Bool
    public init(imageSectorSize: Int = 512, announcedOnly: Bool = false) {
        self.imageSectorSize = imageSectorSize
        self.announcedOnly = announcedOnly
    }

    public func scan(_ paths: [String]) -> Result {
        let explicit = !paths.isEmpty
        let opened = open(paths.map(DevicePath.init))
        var result = Result(members: [], errors: opened.errors, notes: opened.notes)
        for source in opened.sources {
            do {
                result.members.append(try DiskMetadata.read(from: source))
            } catch let error as LDMError {
                if explicit || error.kind != .notLDM { result.errors.append(error.description) }
            } catch {
                if explicit { result.errors.append("\(error)") }
            }
        }
        return result
    }

    /// Opens the devices named (every suitable block device when none is):
    /// read-only, each path kept exactly as given. A device that cannot be
    /// opened is an error only when it was named.
    /// The same disk named twice (the same path, a symlink, `a//b`, a hard
    /// link) is opened once, with a note: it is one disk, not a clone of
    /// itself.
    public func open(_ paths: [DevicePath]) -> (sources: [FileSectorSource], errors: [String], notes: [String]) {
        let explicit = !paths.isEmpty
        var sources: [FileSectorSource] = []
        var errors: [String] = []
        var notes: [String] = []
        var seen: [DiskIdentity: DevicePath] = [:]
        for path in explicit ? paths : SystemDisks.wholeDisks(announcedOnly: announcedOnly).map(DevicePath.init) {
            do {
                let source = try FileSectorSource(path: path, imageSectorSize: imageSectorSize)
                if let first = seen[source.identity] {
                    notes.append("\(path.display) is the same disk as \(first.display); read once")
                    continue
                }
                seen[source.identity] = path
                sources.append(source)
            } catch {
                if explicit { errors.append("\(error)") }
            }
        }
        return (sources, errors, notes)
    }
}

/// Block devices of this system that may be dynamic disks.
public enum SystemDisks {
    static let sysBlock = "/sys/class/block"

    /// Whole disks (not partitions, not device-mapper or md devices, not
    /// empty loop devices), as /dev paths, sorted.
    public static func wholeDisks(announcedOnly: Bool = false) -> [String] {
        if let disks = preferredWholeDisks(announcedOnly: announcedOnly) { return disks }
        return sysfsWholeDisks()
    }

    public static func sysfsWholeDisks() -> [String] {
        var out: [String] = []
        for name in listDirectory(sysBlock).sorted() {
            let base = "\(sysBlock)/\(name)"
            if access("\(base)/partition", F_OK) == 0 { continue }
            if name.hasPrefix("dm-") || name.hasPrefix("md") || name.hasPrefix("ram") || name.hasPrefix("zram") || name.hasPrefix("sr") { continue }
            guard let size = readSysfs("\(base)/size").flatMap({ UInt64($0) }), size > 0 else { continue }
            out.append("/dev/\(name)")
        }
        return out
    }

    /// The names in a directory; none if it cannot be read.
    public static func listDirectory(_ path: String) -> [String] {
        (try? SystemIO.listDirectory(path)) ?? []
    }

    /// First line of a sysfs attribute, trimmed.
    public static func readSysfs(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var buffer = [CChar](repeating: 0, count: 4096)
        guard fgets(&buffer, Int32(buffer.count), f) != nil else { return nil }
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return line.trimmingCharacters(in: [" ", "\n", "\t"])
    }
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
