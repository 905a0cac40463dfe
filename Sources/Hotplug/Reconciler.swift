import DMTable
import LDM

/// What the helper knows of one disk group when it decides: the records
/// under /run/ldmctl, the LDM volumes live in the kernel, and the time.
/// Plain data: `Reconciler` reads nothing else.
public struct GroupSnapshot: Sendable {
    public var guid: GUID
    /// The recorded disks of the group (parsed again on every decision:
    /// a record is checked as a fresh read would be).
    public var disks: [RecordedDisk]
    /// Volume records of the group, by DM UUID.
    public var volumes: [String: VolumeInfo]
    public var timer: TimerRecord?
    /// DM UUID -> DM name of the group's live devices; nil when
    /// device-mapper could not be asked.
    public var live: [String: String]?
    /// Seconds on `HotplugClock`.
    public var now: Int

    public init(guid: GUID, disks: [RecordedDisk], volumes: [String: VolumeInfo], timer: TimerRecord?,
                live: [String: String]?, now: Int) {
        self.guid = guid; self.disks = disks; self.volumes = volumes; self.timer = timer
        self.live = live; self.now = now
    }
}

/// One step the executor (`Hotplug`) carries out, in order.
public enum HotplugAction: Equatable, Sendable {
    case log(String)
    // Records under /run/ldmctl, written while the state lock is held.
    case saveVolume(VolumeInfo)
    case removeVolume(uuid: String)
    case saveTimer(TimerRecord)
    case removeTimer(GUID)
    /// Removes an active volume that can no longer work; an open one is
    /// retired (`Activator.retire`). If even that fails, `keep` is saved
    /// again: the volume is still there.
    case takeDown(uuid: String, name: String, label: String, why: String, keep: VolumeInfo?)
    /// A mirror or RAID-5 that keeps running without `lost`: its table is
    /// reloaded with that member missing, so the kernel's status (and
    /// `ldmctl status`) names it at once (`Activator.dropLostMembers`).
    case dropLostMember(uuid: String, name: String, label: String, lostDisk: GUID, device: String)
    /// Plans and creates the volume in this process (timers, queued units,
    /// coldplug: never a udev worker).
    case activate(uuid: String, degraded: Bool)
    // Started only after the state lock is released: systemd-run talks to
    // PID 1 and may wait on it, while every other helper, the boot unit and
    // the units started here wait for that lock.
    case startActivation(label: String, uuid: String, degraded: Bool)
    case startTimer(GUID, seconds: Int)
    case stopTimer(GUID)

    /// Runs after the state lock is released.
    public var startsProcess: Bool {
        switch self {
        case .startActivation, .startTimer, .stopTimer: true
        default: false
        }
    }
}

/// The helper's policy, without I/O: a group snapshot and an event in,
/// actions out. Every event of the udev helper, the timer and the queued
/// units goes through here, so that the outcome can be checked over any
/// order of events (Tests/HotplugTests/ReconcilerTests.swift).
public struct Reconciler: Sendable {
    /// Seconds a mirror or RAID-5 waits for its missing members before it
    /// is started degraded.
    public var degradedTimeout: Int
    /// A timer record this long past its deadline belongs to a timer that
    /// never fired (its process was killed): it is armed again.
    public static let staleTimer = 60
    /// A timer may fire this early (systemd's AccuracySec=1s) and still count.
    public static let timerSlack = 1

    public init(degradedTimeout: Int) { self.degradedTimeout = degradedTimeout }

    /// The same bytes from the same device: nothing changed for the group
    /// (loop devices send several change events per attach).
    public static func isUnchanged(_ previous: RecordedDisk?, _ record: RecordedDisk) -> Bool {
        guard let previous else { return false }
        return previous.device == record.device && previous.byteCount == record.byteCount
            && previous.extents.elementsEqual(record.extents, by: { $0.offset == $1.offset && $0.bytes == $1.bytes })
    }

    /// The groups with the snapshot's GUID, put together from the records.
    public func assemble(_ s: GroupSnapshot) -> (groups: [DiskGroup], log: [HotplugAction]) {
        var members: [DiskMetadata] = []
        var log: [HotplugAction] = []
        for r in s.disks where r.groupGUID == s.guid {
            do { members.append(try r.metadata()) } catch {
                log.append(.log("record of \(r.number) \(r.device) is unusable, ignored: \(error)"))
            }
        }
        let result = GroupAssembler.assemble(members)
        for e in result.errors { log.append(.log("group \(s.guid): \(e)")) }
        return (result.groups, log)
    }

    static func label(_ g: DiskGroup, _ v: Volume) -> String { "\(g.name.display)/\(v.name.display)" }

    public static func volumeInfo(_ g: DiskGroup, _ v: Volume, state: VolumeInfo.State, degraded: Bool) -> VolumeInfo {
        VolumeInfo(uuid: DeviceNames.volumeUUID(g, v), dmName: DeviceNames.volumeName(g, v), groupGUID: g.guid,
                   group: DeviceNames.groupPart(g), volume: v.name.deviceSafe, type: v.type.rawValue,
                   driveHint: v.driveHint.map { UdevProperties.escape($0.raw) } ?? "", state: state,
                   degraded: degraded, lateMemberNoted: false)
    }

    // MARK: a disk arrived (or changed)

    /// The group after a disk was recorded: complete volumes that are not
    /// active are queued for activation (once: a volume record says it was
    /// queued, is being created, or was active and someone removed it on
    /// purpose; failed ones are tried again), the degraded-start timer is
    /// armed while a volume could run degraded and disarmed otherwise, and
    /// the user is told when a member of a volume started degraded came back.
    public func arrived(_ s: GroupSnapshot) -> [HotplugAction] {
        let (groups, log) = assemble(s)
        var out = log
        guard let live = s.live else {
            return out + [.log("cannot list device-mapper devices; group \(s.guid) is left as it is")]
        }
        var waiting = false
        for g in groups {
            for v in g.volumes {
                let uuid = DeviceNames.volumeUUID(g, v)
                let info = s.volumes[uuid]
                let label = Self.label(g, v)
                if live[uuid] != nil {
                    if v.state == .complete, var info, info.degraded, !info.lateMemberNoted {
                        out.append(.log("\(label) runs degraded and now has all its disks; the late disk is NOT used: "
                            + "its copy may be out of date and ldmctl does not resynchronise. If nothing was written to "
                            + "the volume meanwhile: unmount it, `ldmctl deactivate` and `ldmctl activate` it. Otherwise "
                            + "keep it degraded and let Windows resynchronise the disk (Disk Management: Reactivate Disk / Resynchronize)."))
                        info.lateMemberNoted = true
                        out.append(.saveVolume(info))
                    }
                    continue
                }
                switch v.state {
                case .complete:
                    if let info, info.state != .failed { continue }
                    // Recorded before anything starts, so the next event does not queue it again.
                    out.append(.saveVolume(Self.volumeInfo(g, v, state: .queued, degraded: false)))
                    out.append(.startActivation(label: label, uuid: uuid, degraded: false))
                case .degraded:
                    waiting = true
                case .incomplete:
                    break
                }
            }
        }
        // A volume deleted from the configuration (delete-volume, or
        // Windows) while it was down: its record would otherwise stay until
        // a disk leaves. Only when the group could be read at all.
        if !groups.isEmpty {
            let configured = Set(groups.flatMap { g in g.volumes.map { DeviceNames.volumeUUID(g, $0) } })
            for (uuid, info) in s.volumes.sorted(by: { $0.key < $1.key })
            where !configured.contains(uuid) && live[uuid] == nil {
                out.append(.log("\(info.group)/\(info.volume) is no longer in the configuration of group \(s.guid); its record is dropped"))
                out.append(.removeVolume(uuid: uuid))
            }
        }
        if waiting {
            // Armed once; a record long past its deadline is a timer that died.
            if let t = s.timer, s.now < t.deadline + Self.staleTimer { return out }
            out.append(.saveTimer(TimerRecord(group: s.guid, deadline: s.now + degradedTimeout)))
            out.append(.startTimer(s.guid, seconds: degradedTimeout))
        } else if s.timer != nil {
            // The last missing member arrived before the timer fired.
            out.append(.removeTimer(s.guid))
            out.append(.stopTimer(s.guid))
        }
        return out
    }

    // MARK: a disk left

    /// The group after `lost` left (its record is gone from the snapshot):
    /// active volumes that can no longer work are taken down, and volumes
    /// that keep running without it are marked degraded, so that its
    /// return is reported and not taken back behind the user's back.
    public func left(_ s: GroupSnapshot, lost: RecordedDisk) -> [HotplugAction] {
        let (groups, log) = assemble(s)
        var out = log
        var usable: Set<String> = []
        var degraded: [String: String] = [:]
        var members: [String: Set<GUID>] = [:]   // volume UUID -> its disks
        var diskNames: [GUID: String] = [:]
        for g in groups {
            for d in g.disks { diskNames[d.guid] = d.name.deviceSafe }
            for v in g.volumes {
                let uuid = DeviceNames.volumeUUID(g, v)
                members[uuid] = Set(v.partitions.compactMap { p in g.disk(id: p.diskID)?.guid })
                guard v.state != .incomplete else { continue }
                usable.insert(uuid)
                if v.state == .degraded { degraded[uuid] = Self.label(g, v) }
            }
        }
        func why(_ uuid: String) -> String {
            members[uuid].map { !$0.contains(lost.diskGUID) } == true
                ? "it needs disks that are missing (disk \(lost.diskGUID) (\(lost.device)) went away meanwhile)"
                : "it lost disk \(lost.diskGUID) (\(lost.device))"
        }
        // Volumes that can no longer run may activate again when their
        // disks return (a busy one keeps its record: it is still there).
        var labels: [String: String] = [:]
        for (uuid, info) in s.volumes.sorted(by: { $0.key < $1.key }) where !usable.contains(uuid) {
            labels[uuid] = "\(info.group)/\(info.volume)"
            out.append(.removeVolume(uuid: uuid))
        }
        guard let live = s.live else {
            return out + [.log("cannot list device-mapper devices; active volumes of group \(s.guid) are left as they are")]
        }
        for (uuid, name) in live.sorted(by: { $0.key < $1.key }) {
            if usable.contains(uuid) {
                if let label = degraded[uuid], members[uuid]?.contains(lost.diskGUID) == true {
                    // Remembered, so that its return is reported and not
                    // taken back behind the user's back, and named by status.
                    if var info = s.volumes[uuid] {
                        info.degraded = true
                        info.lateMemberNoted = false
                        let disk = diskNames[lost.diskGUID] ?? "?"
                        let entry = "\(disk) \(lost.diskGUID.text) \(lost.device)"
                        if !info.lostDisks.contains(entry) { info.lostDisks.append(entry) }
                        out.append(.saveVolume(info))
                    }
                    out.append(.dropLostMember(uuid: uuid, name: name, label: label, lostDisk: lost.diskGUID, device: lost.device))
                }
                continue
            }
            out.append(.takeDown(uuid: uuid, name: name, label: labels[uuid] ?? name, why: why(uuid), keep: s.volumes[uuid]))
        }
        return out
    }

    // MARK: the degraded-start timer fired

    /// Starts what is still not running: complete volumes as they are,
    /// degraded ones degraded. Nothing when the timer was disarmed
    /// meanwhile (the group completed, or the state was cleared), and
    /// nothing when it fires before the recorded deadline: that is an
    /// older timer, and the one armed with this deadline is still to come.
    public func timerFired(_ s: GroupSnapshot) -> [HotplugAction] {
        guard let timer = s.timer else { return [] }
        guard s.now + Self.timerSlack >= timer.deadline else {
            return [.log("group \(s.guid): a degraded-start timer fired \(timer.deadline - s.now) s early; the current one starts the group")]
        }
        let (groups, log) = assemble(s)
        var out = log + [.removeTimer(s.guid)]
        guard let live = s.live else { return out + [.log("cannot list device-mapper devices; group \(s.guid) not started")] }
        for g in groups {
            for v in g.volumes {
                let uuid = DeviceNames.volumeUUID(g, v)
                if live[uuid] != nil { continue }
                // Its unit runs (or is about to): that one creates it.
                if let info = s.volumes[uuid], info.state == .queued { continue }
                switch v.state {
                case .complete:
                    out.append(.activate(uuid: uuid, degraded: false))
                case .degraded:
                    out.append(.log("\(Self.label(g, v)): missing disks did not appear within \(degradedTimeout) s; starting it degraded"))
                    out.append(.activate(uuid: uuid, degraded: true))
                case .incomplete:
                    break
                }
            }
        }
        return out
    }

    // MARK: a queued activation runs

    /// The unit `startActivation` started: the volume is created if it is
    /// still complete (or may run degraded); one that is live already is
    /// only recorded as active.
    public func queuedRuns(_ s: GroupSnapshot, uuid: String, degraded: Bool) -> [HotplugAction] {
        let (groups, log) = assemble(s)
        for g in groups {
            for v in g.volumes where DeviceNames.volumeUUID(g, v) == uuid {
                guard v.state == .complete || (degraded && v.state == .degraded) else {
                    return log + [.log("\(Self.label(g, v)): no longer complete; not activated"), .removeVolume(uuid: uuid)]
                }
                return log + [.activate(uuid: uuid, degraded: v.state == .degraded)]
            }
        }
        return log + [.removeVolume(uuid: uuid)]
    }

    // MARK: at boot

    /// Disks that were there before udev's rules: every complete volume
    /// not live yet is created here (the executor then runs `arrived`,
    /// which arms the timers).
    public func coldplug(_ s: GroupSnapshot) -> [HotplugAction] {
        let (groups, log) = assemble(s)
        guard let live = s.live else { return log + [.log("cannot list device-mapper devices; group \(s.guid) not started")] }
        return log + groups.flatMap { g in
            g.volumes.filter { $0.state == .complete && live[DeviceNames.volumeUUID(g, $0)] == nil }
                .map { HotplugAction.activate(uuid: DeviceNames.volumeUUID(g, $0), degraded: false) }
        }
    }
}
