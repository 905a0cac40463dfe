/// One line of a device-mapper table: `<start> <length> <type> <params>`,
/// start and length in 512-byte sectors, as the kernel always counts them.
public struct DMTarget: Equatable, Hashable, Sendable, Codable {
    public var start: UInt64
    public var length: UInt64
    public var type: String
    public var params: String

    public init(start: UInt64, length: UInt64, type: String, params: String) {
        self.start = start
        self.length = length
        self.type = type
        self.params = params
    }

    /// The line as `dmsetup table` prints it and `dmsetup create` reads it.
    public var line: String { "\(start) \(length) \(type) \(params)" }
}

/// One device-mapper device to create: a name (what appears under
/// /dev/mapper), a DM UUID (always starting with `LDM-`), and its table.
public struct DMDevice: Equatable, Hashable, Sendable, Codable {
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
