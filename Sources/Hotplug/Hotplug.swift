import Activation
import BlockDevices
import DeviceMapper
import DMTable
import LDM
#if canImport(Glibc)
import Glibc
#endif

/// What the helper does for each udev event on an LDM disk. Every event
/// reads only its own disk; the group is put together from the records
/// the earlier events left under /run/ldmctl.
public struct Hotplug {
    public var state: RunState
    /// Seconds a mirror or RAID-5 waits for its missing members before it
    /// is started degraded.
    public var degradedTimeout: Int
    /// Activate through `systemd-run` (outside the udev worker) rather than
    /// here.
    public var useSystemd: Bool
    /// Inside a udev worker the helper must not wait for udev to process
    /// the dm devices it creates: that needs another worker, and with many
    /// disks arriving at once all workers may be running this helper.
    public var waitForUdev: Bool
    public var selfPath: String

    public init(state: RunState = RunState(), degradedTimeout: Int = HotplugConfig.defaultDegradedTimeout,
                useSystemd: Bool = Launcher.systemdIsInit, waitForUdev: Bool = false,
                selfPath: String = Launcher.selfPath) {
        self.state = state
        self.degradedTimeout = degradedTimeout
        self.useSystemd = useSystemd
        self.waitForUdev = waitForUdev
        self.selfPath = selfPath
    }

    var deviceMapper: DeviceMapper { DeviceMapper(udevSync: waitForUdev ? .automatic : .disabled) }
    var activator: Activator { Activator(deviceMapper: deviceMapper) }

    // MARK: add / change

    /// Reads the disk, records it, and activates what became complete.
    /// A disk that is (no longer) LDM loses its record, as on remove.
    public func diskAdded(_ number: DeviceNumber, device: String, action: String = "add") throws {
        guard RecordedDisk.isPlainDevicePath(device) else { throw HotplugError("not a device path: \(LDMName(device).display)") }
        let record: RecordedDisk
        do {
            record = try Self.readRecord(number, device: device)
        } catch let error as LDMError where error.kind == .notLDM {
            if state.loadRecord(number) != nil {
                state.log("\(action) \(number) \(device): no longer an LDM disk")
                try diskRemoved(number, action: action)
            }
            return
        }
        state.recordRead(number, action: action, bytes: record.bytesRead)
        let later: [HotplugAction] = try state.locked {
            let previous = state.loadRecord(number)
            if Reconciler.isUnchanged(previous, record) { return [] }
            try state.saveRecord(record)
            if previous == nil || previous?.groupGUID != record.groupGUID {
                state.log("\(action) \(number) \(device): disk \(record.diskGUID) of group \(record.groupGUID), \(record.bytesRead) bytes of metadata read")
            }
            if let previous, previous.groupGUID != record.groupGUID {
                let s = snapshot(previous.groupGUID, live: liveVolumes)
                try perform(reconciler.left(s, lost: previous), s)
            }
            let s = snapshot(record.groupGUID, live: liveDevices)
            return try perform(reconciler.arrived(s), s)
        }
        startProcesses(later)
    }

    /// One disk's metadata, read once, kept as the bytes read.
    public static func readRecord(_ number: DeviceNumber, device: String) throws -> RecordedDisk {
        let source = RecordingSectorSource(try FileSectorSource(path: device))
        let metadata = try DiskMetadata.read(from: source)
        let h = metadata.privateHeader
        return RecordedDisk(number: number, device: device, sectorSize: source.sectorSize, byteCount: source.byteCount,
                          groupGUID: h.groupGUID, diskGUID: h.diskGUID, bytesRead: source.bytesRead,
                          partitions: partitionRoles(metadata), extents: source.extents)
    }

    /// Where this disk's LDM partitions are, in the kernel's 512-byte
    /// sectors, and what each belongs to.
    public static func partitionRoles(_ m: DiskMetadata) -> [KernelPartitionRole] {
        var roles: [KernelPartitionRole] = []
        let scale = UInt64(m.sectorSize / 512)
        // The reader keeps every extent inside the disk, so these fit; a
        // role that would not is left out rather than trusted.
        func add(_ start: UInt64, _ size: UInt64, offset: UInt64 = 0, role: String) {
            let (first, o1) = start.addingReportingOverflow(offset)
            let (kernelStart, o2) = first.multipliedReportingOverflow(by: scale)
            let (kernelSize, o3) = size.multipliedReportingOverflow(by: scale)
            guard !o1, !o2, !o3 else { return }
            roles.append(KernelPartitionRole(start: kernelStart, size: kernelSize, role: role))
        }
        for e in [m.partitionTable.dataEntry, m.partitionTable.metadataEntry].compactMap({ $0 }) {
            add(e.firstLBA, e.sectorCount, role: "container")
        }
        guard let g = GroupAssembler.assemble([m]).groups.first,
              let disk = g.disks.first(where: { $0.guid == m.privateHeader.diskGUID }),
              let loc = disk.location else { return roles }
        for v in g.volumes {
            for p in v.partitions where p.diskID == disk.id {
                add(loc.dataStart, p.size, offset: p.start, role: v.type.rawValue)
            }
        }
        return roles
    }

    // MARK: remove

    public func diskRemoved(_ number: DeviceNumber, action: String = "remove") throws {
        try state.locked {
            guard let record = state.loadRecord(number) else { return }
            state.removeRecord(number)
            state.log("\(action) \(number) \(record.device): disk \(record.diskGUID) of group \(record.groupGUID) is gone")
            let s = snapshot(record.groupGUID, live: liveVolumes)
            _ = try perform(reconciler.left(s, lost: record), s)
        }
    }

    // MARK: the degraded-start timer and queued activations

    /// The timer fired: start what is still degraded, degraded.
    public func lastResort(_ guid: GUID) throws {
        var prepared: [(VolumeStack, VolumeInfo)] = []
        try state.locked {
            let s = snapshot(guid, live: liveDevices)
            _ = try perform(reconciler.timerFired(s), s, prepared: &prepared)
        }
        try apply(prepared)
    }

    /// Run by the unit or process `startActivation` started.
    public func activateQueued(uuid: String, degraded: Bool) throws {
        var prepared: [(VolumeStack, VolumeInfo)] = []
        try state.locked {
            guard let info = state.loadVolume(uuid) else { throw HotplugError("no queued volume \(LDMName(uuid).display)") }
            let s = snapshot(info.groupGUID, live: liveDevices)
            _ = try perform(reconciler.queuedRuns(s, uuid: uuid, degraded: degraded), s, prepared: &prepared)
        }
        try apply(prepared)
    }

    /// At boot, for disks that were there before udev's rules: records
    /// every LDM disk and activates every complete volume.
    public func coldplug() throws {
        var groups: Set<GUID> = []
        for device in SystemDisks.wholeDisks() {
            var st = stat()
            guard stat(device, &st) == 0, RecordedDisk.isPlainDevicePath(device) else { continue }
            let number = DeviceNumber(encoded: UInt64(st.st_rdev))
            guard let record = try? Self.readRecord(number, device: device) else { continue }
            state.recordRead(number, action: "coldplug", bytes: record.bytesRead)
            try state.locked { try state.saveRecord(record) }
            groups.insert(record.groupGUID)
        }
        for guid in groups.sorted() {
            var prepared: [(VolumeStack, VolumeInfo)] = []
            try state.locked {
                let s = snapshot(guid, live: liveDevices)
                _ = try perform(reconciler.coldplug(s), s, prepared: &prepared)
            }
            try apply(prepared)
            // Arms degraded-start timers.
            let later: [HotplugAction] = try state.locked {
                let s = snapshot(guid, live: liveDevices)
                return try perform(reconciler.arrived(s), s)
            }
            startProcesses(later)
        }
    }

    // MARK: executing the reconciler's actions

    var reconciler: Reconciler { Reconciler(degradedTimeout: degradedTimeout) }

    /// The records of one group, the kernel's view, and the clock (under the state lock).
    func snapshot(_ guid: GUID, live: () -> [String: String]?) -> GroupSnapshot {
        let prefix = "\(DeviceNames.uuidPrefix)\(guid.text)-"
        var volumes: [String: VolumeInfo] = [:]
        for v in state.allVolumes() where v.uuid.hasPrefix(prefix) { volumes[v.uuid] = v }
        return GroupSnapshot(guid: guid, disks: state.allRecords().filter { $0.groupGUID == guid }, volumes: volumes,
                             timer: state.loadTimer(guid), live: live().map { $0.filter { $0.key.hasPrefix(prefix) } },
                             now: HotplugClock.now())
    }

    /// Every LDM device (volumes and their helpers), by UUID: one list call.
    func liveDevices() -> [String: String]? {
        do {
            var out: [String: String] = [:]
            for d in try deviceMapper.list() where d.uuid.hasPrefix(DeviceNames.uuidPrefix) { out[d.uuid] = d.name }
            return out
        } catch {
            state.log("cannot list device-mapper devices: \(error)")
            return nil
        }
    }

    /// The active LDM volumes (tops of their stacks), by UUID.
    func liveVolumes() -> [String: String]? {
        do {
            var out: [String: String] = [:]
            for v in try activator.status() { out[v.uuid] = v.name }
            return out
        } catch {
            state.log("cannot list device-mapper devices: \(error)")
            return nil
        }
    }

    /// Carries out, under the state lock, what does not start a process;
    /// returns what does, for `startProcesses` once the lock is released.
    @discardableResult
    func perform(_ actions: [HotplugAction], _ s: GroupSnapshot) throws -> [HotplugAction] {
        var prepared: [(VolumeStack, VolumeInfo)] = []
        let later = try perform(actions, s, prepared: &prepared)
        precondition(prepared.isEmpty, "udev events never create devices in the worker")
        return later
    }

    func perform(_ actions: [HotplugAction], _ s: GroupSnapshot,
                 prepared: inout [(VolumeStack, VolumeInfo)]) throws -> [HotplugAction] {
        var later: [HotplugAction] = []
        // The group as the reconciler saw it, put together once, and only
        // if something is to be created.
        var groups: [DiskGroup]?
        for action in actions {
            switch action {
            case .log(let message): state.log(message)
            case .saveVolume(let info): try state.saveVolume(info)
            case .removeVolume(let uuid): state.removeVolume(uuid)
            case .saveTimer(let t): try state.saveTimer(t)
            case .removeTimer(let guid): state.removeTimer(guid)
            case let .takeDown(uuid, name, label, why, keep): takeDown(uuid: uuid, name: name, label: label, why: why, keep: keep)
            case let .dropLostMember(uuid, name, label, lostDisk, device):
                if groups == nil { groups = reconciler.assemble(s).groups }
                dropLostMember(uuid: uuid, name: name, label: label, lostDisk: lostDisk, device: device, in: groups ?? [])
            case let .activate(uuid, degraded):
                if groups == nil { groups = reconciler.assemble(s).groups }
                if let p = prepare(uuid: uuid, degraded: degraded, in: groups ?? []) { prepared.append(p) }
            case .startActivation, .startTimer, .stopTimer: later.append(action)
            }
        }
        return later
    }

    /// Removes an active volume that can no longer work; retires it if it is open.
    func takeDown(uuid: String, name: String, label: String, why: String, keep: VolumeInfo?) {
        let active: ActiveVolume
        do {
            guard let v = try activator.status().first(where: { $0.uuid == uuid }) else { return }
            active = v
        } catch {
            state.log("could not remove \(label) (\(name)): \(error)")
            return
        }
        for result in activator.deactivate(volumes: [active]) {
            switch result.state {
            case .removed, .notActive:
                state.removeVolume(uuid)
                state.log("removed \(label) (\(name)): \(why)")
            case .busy:
                let reason = result.error.map { $0.reason } ?? "in use"
                let retired = activator.retire(active)
                for problem in retired.problems { state.log(problem) }
                if let failure = retired.failure {
                    if let keep { try? state.saveVolume(keep) }
                    state.log("left \(label) (\(name)) active although \(why): \(reason); could not retire it (\(failure)); unmount it, then run `ldmctl deactivate` for it")
                } else {
                    state.removeVolume(uuid)
                    state.log("\(label) (\(name)) is open (\(reason)) although \(why): its I/O now fails at once, and it is removed when its last user closes it (deferred removal); unmount it")
                }
            default:
                state.log("could not remove \(label) (\(name)): \(result.error.map { "\($0)" } ?? result.state.rawValue)")
            }
        }
    }

    /// Starts what the reconciler decided, after the state lock is released.
    func startProcesses(_ actions: [HotplugAction]) {
        for action in actions {
            switch action {
            case let .startActivation(label, uuid, degraded): startActivation(label: label, uuid: uuid, degraded: degraded)
            case let .startTimer(guid, seconds): startTimer(guid, seconds: seconds)
            case let .stopTimer(guid): stopTimer(guid)
            default: assertionFailure("not a process: \(action)")
            }
        }
    }

    /// Starts one queued volume's activation outside the udev worker: a
    /// transient systemd unit where systemd runs, else a detached
    /// `ldmctl udev activate`. The worker must not create dm devices
    /// itself: waiting for udev to process them needs another worker, and
    /// with many disks arriving at once every worker may be running this
    /// helper.
    func startActivation(label: String, uuid: String, degraded: Bool) {
        var tail = ["udev", "activate"]
        if degraded { tail.append("--degraded") }
        tail.append(uuid)
        if useSystemd, let run = Launcher.systemdRun {
            let unit = Launcher.unitName("ldmctl-activate", uuid)
            if Launcher.run(Launcher.serviceArguments(run, unit: unit, description: "ldmctl: activate LDM volume \(uuid)",
                                                      command: [selfPath] + tail)) == 0 {
                state.log("\(label): all disks present; activating (\(unit).service)")
                return
            }
            state.log("\(label): systemd-run failed; activating in a process of its own")
        }
        if Launcher.spawn([selfPath] + tail, detach: true) != nil {
            state.log("\(label): all disks present; activating")
        } else {
            let reason = errnoText()
            try? state.locked { state.removeVolume(uuid) }
            state.log("\(label): cannot start `ldmctl udev activate`: \(reason)")
        }
    }

    /// Starts the armed timer: a transient systemd timer where systemd
    /// runs (as mdadm's last-resort timer), else a sleeping process.
    func startTimer(_ guid: GUID, seconds: Int) {
        if useSystemd, let run = Launcher.systemdRun {
            let unit = Launcher.unitName("ldmctl-last-resort", guid.text)
            if Launcher.run(Launcher.timerArguments(run, unit: unit, seconds: seconds,
                                                    description: "ldmctl: start LDM group \(guid.text) degraded if still incomplete",
                                                    command: [selfPath, "udev", "last-resort", guid.text])) == 0 {
                state.log("group \(guid): a volume can run without a missing disk; starting it degraded in \(seconds) s unless the disk appears (\(unit).timer)")
                return
            }
            state.log("group \(guid): systemd-run failed or did not answer for \(unit).timer; waiting in a process of its own")
        }
        let pid = Launcher.spawn([selfPath, "udev", "last-resort", "--wait", "\(seconds)", guid.text], detach: true)
        // The sleeper's pid, so that whoever clears the state can stop it
        // (only if the timer is still armed: it may have been disarmed meanwhile).
        try? state.locked {
            if var t = state.loadTimer(guid) {
                t.sleeper = pid ?? 0
                try? state.saveTimer(t)
            }
        }
        state.log("group \(guid): a volume can run without a missing disk; starting it degraded in \(seconds) s unless the disk appears")
    }

    /// The group became complete before its timer fired: stop the timer
    /// (its record is gone already, so a sleeping process finds nothing to
    /// do when it wakes).
    func stopTimer(_ guid: GUID) {
        guard useSystemd, let systemctl = Launcher.systemctl else { return }
        let unit = Launcher.unitName("ldmctl-last-resort", guid.text)
        if Launcher.run([systemctl, "stop", "--no-block", "\(unit).timer"]) == 0 {
            state.log("group \(guid): all disks present; degraded start cancelled (\(unit).timer stopped)")
        }
    }

    /// Plans a volume and records it (under the state lock); `apply`
    /// creates it without the lock.
    func prepare(uuid: String, degraded: Bool, in groups: [DiskGroup]) -> (VolumeStack, VolumeInfo)? {
        guard let (g, v) = groups.lazy
                .compactMap({ g in g.volumes.first { DeviceNames.volumeUUID(g, $0) == uuid }.map { (g, $0) } }).first else {
            state.removeVolume(uuid)
            return nil
        }
        let label = "\(g.name.display)/\(v.name.display)"
        do {
            // The kernel's view of the disks this volume uses (number,
            // partitions), read once: one stat and one sysfs listing each.
            let devices = Self.kernelView(of: v, in: g)
            var pipeline = VolumePipeline(allowDegraded: degraded, select: { $1.id == v.id })
            pipeline.automatic = true
            let planned = pipeline.plan([g], devices: devices)
            if let error = planned.planErrors.first ?? planned.conflict { throw error }
            guard let stack = planned.stacks.first else { throw PlanError(group: g.name.display, volume: v.name.display, problem: "not planned") }
            // Written first: udev's rule for the new dm device reads it.
            // Stays "queued" until the devices exist.
            let info = Reconciler.volumeInfo(g, v, state: .queued, degraded: degraded)
            try state.saveVolume(info)
            return (stack, info)
        } catch {
            state.log("\(label): cannot activate: \(error)")
            state.removeVolume(uuid)
            return nil
        }
    }

    /// Applies prepared stacks (outside the state lock: creating dm devices
    /// waits for udev) and records the outcome.
    func apply(_ prepared: [(VolumeStack, VolumeInfo)]) throws {
        for (stack, info) in prepared {
            let label = "\(stack.groupName)/\(stack.volumeName)"
            for r in activator.activate(stacks: [stack]) {
                switch r.state {
                case .activated, .alreadyActive:
                    var active = info
                    active.state = .active
                    try state.locked { try state.saveVolume(active) }
                    guard r.state == .activated else { break }
                    let how = info.degraded ? " DEGRADED (" + stack.notes.filter { $0.hasPrefix("degraded") }.joined(separator: "; ") + ")" : ""
                    state.log("activated \(label) as /dev/mapper/\(r.device)\(how)")
                case .planned:
                    break
                case .failed:
                    var failed = info
                    failed.state = .failed
                    try state.locked { try state.saveVolume(failed) }
                    state.log("could not activate \(label): \(r.error.map { "\($0)" } ?? "failed")")
                }
            }
        }
    }
}

/// The helper's clock for degraded-start deadlines: seconds since boot,
/// counting suspend (CLOCK_BOOTTIME). A wall clock may jump at boot; this
/// one only moves forward, and /run, where deadlines are kept, does not
/// outlive the boot.
public enum HotplugClock {
    public static func now() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_BOOTTIME, &ts)
        return Int(ts.tv_sec)
    }
}
