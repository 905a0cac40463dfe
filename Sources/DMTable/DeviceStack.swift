@_exported import DMTypes

/// Everything one LDM volume needs in the kernel, in dependency order:
/// helper devices first, the volume's own device (`top`) last. Created in
/// this order, removed in reverse.
public struct VolumeStack: Equatable, Sendable {
    /// Disk group name and volume name as read from the disk (display only).
    public var groupName: String
    public var volumeName: String
    public var devices: [DMDevice]
    /// Human-readable notes for the volume: degraded members, which block
    /// device each extent goes through, etc. Never part of a table.
    public var notes: [String]
    /// The volume starts without some of its members.
    public var degraded: Bool

    public init(groupName: String, volumeName: String, devices: [DMDevice], notes: [String] = [], degraded: Bool = false) {
        self.groupName = groupName
        self.volumeName = volumeName
        self.devices = devices
        self.notes = notes
        self.degraded = degraded
    }

    public var top: DMDevice { devices[devices.count - 1] }
}
