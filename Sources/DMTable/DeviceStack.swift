@_exported import DMTypes

/// Everything one LDM volume needs in the kernel, in dependency order:
/// helper devices first, the volume's own device (`top`) last. Created in
/// this order, removed in reverse.
public struct VolumeStack: Equatable, Sendable, Codable {
    /// Disk group name and volume name as read from the disk (display only).
    public var groupName: String
    public var volumeName: String
    public var devices: [DMDevice]
    /// Human-readable notes for the volume: degraded members, which block
    /// device each extent goes through, etc. Never part of a table.
    public var notes: [String]

    public init(groupName: String, volumeName: String, devices: [DMDevice], notes: [String] = []) {
        self.groupName = groupName
        self.volumeName = volumeName
        self.devices = devices
        self.notes = notes
    }

    public var top: DMDevice { devices[devices.count - 1] }
}
