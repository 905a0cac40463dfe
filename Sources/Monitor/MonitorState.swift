import LDM

/// What the monitor observed at one moment: the disk groups whose disks
/// are present, their disks, and their volumes as device-mapper has them.
/// Pure values: `EventDiffer` compares two of these.
public struct MonitorState: Equatable, Sendable {
    public var groups: [GroupState]

    public init(groups: [GroupState] = []) { self.groups = groups }

    public static let empty = MonitorState()

    public func group(_ guid: String) -> GroupState? { groups.first { $0.guid == guid } }

    /// This state, with the groups of `previous` that could not be put
    /// together now although disks of theirs were read (`unreadable`: group
    /// GUIDs) kept as they were. A group is unreadable for a moment while
    /// its disks' databases are being written one disk after another
    /// (create-volume, delete-volume, restore-metadata, Windows, or a
    /// tool that is not transactional): its disks are still there, and
    /// reporting them removed, its volumes deactivated and then all of it
    /// back would be false. The difference is reported once it reads again.
    public func holding(_ unreadable: Set<String>, from previous: MonitorState) -> MonitorState {
        var out = self
        for g in previous.groups where group(g.guid) == nil {
            let base = String(g.guid.prefix(36))   // without a "-cloneN" suffix
            if unreadable.contains(base) { out.groups.append(g) }
        }
        return out
    }
}

public struct GroupState: Equatable, Sendable {
    /// The group GUID as text; the group's identity (names can repeat).
    public var guid: String
    public var name: LDMName
    public var disks: [DiskState]
    public var volumes: [ObservedVolume]

    public init(guid: String, name: LDMName, disks: [DiskState], volumes: [ObservedVolume]) {
        self.guid = guid
        self.name = name
        self.disks = disks
        self.volumes = volumes
    }

    /// Every disk of the group is present.
    public var complete: Bool { disks.allSatisfy { $0.device != nil } }
    public var presentDisks: [DiskState] { disks.filter { $0.device != nil } }
}

public struct DiskState: Equatable, Sendable {
    public var guid: String
    public var name: LDMName
    /// The block device it was read from; nil while it is missing.
    public var device: DevicePath?

    public init(guid: String, name: LDMName, device: DevicePath?) {
        self.guid = guid
        self.name = name
        self.device = device
    }
}

/// A volume's health as the kernel reports it.
public enum MonitorHealth: String, Sendable, Equatable {
    /// Every member alive and in sync.
    case ok
    /// Redundancy lost: a member failed or is missing; data still readable.
    case degraded
    /// Data unreadable: more members lost than the layout survives, or a
    /// part of a non-redundant volume is gone.
    case failed
}

public struct ObservedVolume: Equatable, Sendable {
    /// The volume GUID as text (or `v<object id>` for a volume without one).
    public var guid: String
    public var name: LDMName
    /// Whether its device-mapper device exists.
    public var active: Bool
    public var health: MonitorHealth
    /// Disks whose member of this volume is failed or missing, by name;
    /// sorted, so comparing two states does not depend on table order.
    public var failedMembers: [LDMName]
    /// A resync or recovery is running (dm-raid sync action resync/recover,
    /// or a mirror not yet in sync).
    public var resyncing: Bool

    public init(guid: String, name: LDMName, active: Bool, health: MonitorHealth = .ok,
                failedMembers: [LDMName] = [], resyncing: Bool = false) {
        self.guid = guid
        self.name = name
        self.active = active
        self.health = health
        self.failedMembers = failedMembers.sorted()
        self.resyncing = resyncing
    }
}
