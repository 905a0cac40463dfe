/// A block device a table line names: a disk, a partition of one, or an
/// image file. Tables loaded into the kernel name it by `major:minor`, as
/// lvm2 does, so the device cannot change between planning and loading;
/// a printed table may name the path instead when a table line can carry
/// it (see `TableCommand` and ldmctl(8)).
public struct TableMember: Hashable, Sendable {
    /// nil for an image file, which device-mapper cannot load.
    public var number: DeviceNumber?
    /// The path, when it can stand as one field of a table line.
    public var tablePath: String?
    /// The path escaped for messages.
    public var display: String

    public init(number: DeviceNumber?, tablePath: String?, display: String) {
        self.number = number
        self.tablePath = tablePath
        self.display = display
    }

    /// What the kernel gets: the device number; for an image file (which
    /// `DMNames.validateTable` refuses to load) the path.
    public var kernelText: String { number?.description ?? tablePath ?? display }
}

/// One field of a target's parameters.
public enum TableArgument: Hashable, Sendable {
    case word(String)
    case member(TableMember)
}

/// One line of a device-mapper table: `<start> <length> <type> <params>`,
/// start and length in 512-byte sectors, as the kernel always counts them.
public struct DMTarget: Equatable, Hashable, Sendable {
    public var start: UInt64
    public var length: UInt64
    public var type: String
    public var arguments: [TableArgument]

    public init(start: UInt64, length: UInt64, type: String, arguments: [TableArgument]) {
        self.start = start
        self.length = length
        self.type = type
        self.arguments = arguments
    }

    /// A target from text (the kernel's table, a test): every field a word.
    public init(start: UInt64, length: UInt64, type: String, params: String) {
        self.init(start: start, length: length, type: type, arguments: [])
        self.params = params
    }

    /// The parameters as the kernel gets them (members as major:minor).
    public var params: String {
        get { text { $0.kernelText } }
        set { arguments = newValue.split(separator: " ").map { .word(String($0)) } }
    }

    /// The parameters with each member named by `name`.
    public func text(naming name: (TableMember) -> String) -> String {
        arguments.map { a in
            switch a {
            case .word(let w): w
            case .member(let m): name(m)
            }
        }.joined(separator: " ")
    }

    /// The members this target names.
    public var members: [TableMember] {
        arguments.compactMap { if case .member(let m) = $0 { m } else { nil } }
    }

    /// The line as `dmsetup table` prints it and `dmsetup create` reads it.
    public var line: String { "\(start) \(length) \(type) \(params)" }
}

/// One device-mapper device to create: a name (what appears under
/// /dev/mapper), a DM UUID (always starting with `LDM-`), and its table.
public struct DMDevice: Equatable, Hashable, Sendable {
    public var name: String
    public var uuid: String
    public var targets: [DMTarget]

    public init(name: String, uuid: String, targets: [DMTarget]) {
        self.name = name
        self.uuid = uuid
        self.targets = targets
    }

    /// Total length in 512-byte sectors.
    public var length: UInt64 { targets.last.map { $0.start + $0.length } ?? 0 }
}

/// How the kernel knows one disk, read once before planning (sysfs) and
/// handed to the planner as data: its number and its partitions.
public struct DiskDevice: Equatable, Sendable {
    /// nil for an image file.
    public var number: DeviceNumber?
    /// The kernel's partitions of the disk, by start.
    public var partitions: [KernelPartition]

    public init(number: DeviceNumber?, partitions: [KernelPartition] = []) {
        self.number = number
        self.partitions = partitions
    }

    /// The smallest partition that holds the whole extent (512-byte
    /// sectors from the start of the disk), if any.
    public func partition(covering start: UInt64, length: UInt64) -> KernelPartition? {
        partitions.filter { p in
            let (end, o1) = start.addingReportingOverflow(length)
            let (pEnd, o2) = p.start.addingReportingOverflow(p.size)
            return !o1 && !o2 && p.start <= start && end <= pEnd
        }.min { $0.size < $1.size }
    }
}

/// A kernel partition of a disk (`/sys/dev/block/MAJ:MIN/NAME`).
public struct KernelPartition: Equatable, Sendable {
    /// The kernel's name (`sda2`), [A-Za-z0-9] only.
    public var name: String
    public var number: DeviceNumber
    /// 512-byte sectors from the start of the disk.
    public var start: UInt64
    public var size: UInt64

    public init(name: String, number: DeviceNumber, start: UInt64, size: UInt64) {
        self.name = name
        self.number = number
        self.start = start
        self.size = size
    }
}
