import LDM

/// One change the monitor reports. Names are kept exactly as read from
/// disk (`LDMName`); `EventFormat` escapes them for where they go.
public struct MonitorEvent: Equatable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case diskAdded = "disk-added"
        case diskRemoved = "disk-removed"
        case groupComplete = "group-complete"
        case groupIncomplete = "group-incomplete"
        case volumeCreated = "volume-created"
        case volumeDeleted = "volume-deleted"
        case volumeActivated = "volume-activated"
        case volumeDeactivated = "volume-deactivated"
        case volumeDegraded = "volume-degraded"
        case volumeFailed = "volume-failed"
        case volumeRecovered = "volume-recovered"
        case resyncStarted = "resync-started"
        case resyncFinished = "resync-finished"
    }

    public var kind: Kind
    public var group: LDMName
    public var groupGuid: String
    public var volume: LDMName?
    public var volumeGuid: String?
    public var disk: LDMName?
    public var device: DevicePath?
    /// The disk whose member of the volume failed or went missing.
    public var member: LDMName?
    public var health: MonitorHealth?

    public init(_ kind: Kind, group: GroupState, volume: ObservedVolume? = nil, disk: DiskState? = nil,
                device: DevicePath? = nil, member: LDMName? = nil) {
        self.kind = kind
        self.group = group.name
        self.groupGuid = group.guid
        self.volume = volume?.name
        self.volumeGuid = volume?.guid
        self.disk = disk?.name
        self.device = device ?? disk?.device
        self.member = member
        self.health = volume?.health
    }

    /// Something an operator must act on (`--oneshot` exits 1).
    public var isProblem: Bool { kind == .volumeDegraded || kind == .volumeFailed }
}

/// Previous state + new observation -> the events between them.
///
/// Within a group, in this order: disks removed, disks added, the group's
/// completeness, volumes deleted from and created in its configuration,
/// volumes deactivated, volumes activated and their health.
/// Groups in name order. From `MonitorState.empty` the events describe the
/// whole current state (what the monitor reports at start).
public enum EventDiffer {
    public static func events(from old: MonitorState, to new: MonitorState) -> [MonitorEvent] {
        var guids: [String] = []
        for g in new.groups + old.groups where !guids.contains(g.guid) { guids.append(g.guid) }
        let ordered = guids.map { ($0, new.group($0) ?? old.group($0)!) }
            .sorted { ($0.1.name, $0.0) < ($1.1.name, $1.0) }
        var out: [MonitorEvent] = []
        for (guid, latest) in ordered {
            out += groupEvents(old: old.group(guid), new: new.group(guid), latest: latest)
        }
        return out
    }

    private static func groupEvents(old: GroupState?, new: GroupState?, latest: GroupState) -> [MonitorEvent] {
        var out: [MonitorEvent] = []
        let oldDisks = old?.disks ?? []
        let newDisks = new?.disks ?? []
        func present(_ disks: [DiskState], _ guid: String) -> DiskState? {
            disks.first { $0.guid == guid && $0.device != nil }
        }
        // A disk that moved to another device was removed and added.
        for d in oldDisks where d.device != nil {
            let now = present(newDisks, d.guid)
            if now == nil || now?.device != d.device { out.append(MonitorEvent(.diskRemoved, group: latest, disk: d)) }
        }
        for d in newDisks where d.device != nil {
            let before = present(oldDisks, d.guid)
            if before == nil || before?.device != d.device { out.append(MonitorEvent(.diskAdded, group: latest, disk: d)) }
        }

        // Completeness: reported when it changes, and when the group is
        // first seen. A group whose last disk went is incomplete.
        let wasComplete = old.map { $0.complete }
        let isComplete = new.map { $0.complete && !$0.disks.isEmpty } ?? false
        if new != nil || wasComplete == true {
            if wasComplete != isComplete {
                out.append(MonitorEvent(isComplete ? .groupComplete : .groupIncomplete, group: latest))
            }
        }

        out += configurationEvents(old: old, new: new, latest: latest)

        let oldVolumes = (old?.volumes ?? []).filter(\.active)
        let newVolumes = (new?.volumes ?? []).filter(\.active)
        for v in oldVolumes where !newVolumes.contains(where: { $0.guid == v.guid }) {
            out.append(MonitorEvent(.volumeDeactivated, group: latest, volume: v))
        }
        for v in newVolumes {
            let before = oldVolumes.first { $0.guid == v.guid }
            if before == nil { out.append(MonitorEvent(.volumeActivated, group: latest, volume: v)) }
            out += healthEvents(old: before, new: v, group: latest)
        }
        return out
    }

    /// Volumes that appeared in or went from the group's configuration
    /// (create-volume, delete-volume, or Windows' Disk Management), by
    /// volume GUID: a volume renamed is neither, a volume deleted and one
    /// created under its name are both. Only while the group is seen before
    /// and after: a group arriving or leaving is told by the disk events,
    /// not as every volume created or deleted.
    private static func configurationEvents(old: GroupState?, new: GroupState?, latest: GroupState) -> [MonitorEvent] {
        guard let old, let new else { return [] }
        var out: [MonitorEvent] = []
        func event(_ kind: MonitorEvent.Kind, _ v: ObservedVolume) -> MonitorEvent {
            var e = MonitorEvent(kind, group: latest, volume: v)
            e.health = nil   // the configuration changed, not the kernel's view
            return e
        }
        for v in old.volumes where !new.volumes.contains(where: { $0.guid == v.guid }) {
            out.append(event(.volumeDeleted, v))
        }
        for v in new.volumes where !old.volumes.contains(where: { $0.guid == v.guid }) {
            out.append(event(.volumeCreated, v))
        }
        return out
    }

    /// Health changes of an active volume; `old` nil when it just appeared
    /// (then only problems and a running resync are reported).
    private static func healthEvents(old: ObservedVolume?, new v: ObservedVolume, group: GroupState) -> [MonitorEvent] {
        var out: [MonitorEvent] = []
        let oldHealth = old?.health ?? .ok
        let oldFailed = old?.failedMembers ?? []
        switch v.health {
        case .failed:
            if oldHealth != .failed { out.append(MonitorEvent(.volumeFailed, group: group, volume: v)) }
        case .degraded:
            let newly = v.failedMembers.filter { !oldFailed.contains($0) }
            for m in newly { out.append(MonitorEvent(.volumeDegraded, group: group, volume: v, member: m)) }
            // Degraded without a member we could name, or back from failed.
            if newly.isEmpty && oldHealth == .ok {
                out.append(MonitorEvent(.volumeDegraded, group: group, volume: v))
            }
        case .ok:
            if oldHealth != .ok { out.append(MonitorEvent(.volumeRecovered, group: group, volume: v)) }
        }
        let wasResyncing = old?.resyncing ?? false
        if v.resyncing && !wasResyncing { out.append(MonitorEvent(.resyncStarted, group: group, volume: v)) }
        if !v.resyncing && wasResyncing { out.append(MonitorEvent(.resyncFinished, group: group, volume: v)) }
        return out
    }
}
