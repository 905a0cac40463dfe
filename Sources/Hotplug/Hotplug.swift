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
        let launches: [Launch] = try state.locked {
            let previous = state.loadRecord(number)
            // The same bytes from the same device: nothing changed for the
            // group (loop devices send several change events per attach).
            if let previous, previous.device == record.device, previous.byteCount == record.byteCount,
               previous.extents.elementsEqual(record.extents, by: { $0.offset == $1.offset && $0.bytes == $1.bytes }) {
                return []
            }
            try state.saveRecord(record)
            if previous == nil || previous?.groupGUID != record.groupGUID {
                state.log("\(action) \(number) \(device): disk \(record.diskGUID) of group \(record.groupGUID), \(record.bytesRead) bytes of metadata read")
            }
            if let previous, previous.groupGUID != record.groupGUID {
                try reconcileAfterLoss(previous.groupGUID, lost: previous)
            }
            return try reconcile(record.groupGUID)
        }
        launch(launches)
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
            try reconcileAfterLoss(record.groupGUID, lost: record)
        }
    }

    /// Removes the group's active volumes that cannot work without the
    /// disks that are gone; leaves open ones and says why.
    func reconcileAfterLoss(_ guid: GUID, lost: RecordedDisk) throws {
        let groups = assemble(guid)
        var usable: Set<String> = []
        var degraded: [String: String] = [:]
        var members: [String: Set<GUID>] = [:]   // volume UUID -> its disks
        var volumes: [String: (DiskGroup, Volume)] = [:]
        for g in groups {
            for v in g.volumes {
                let uuid = DeviceNames.volumeUUID(g, v)
                members[uuid] = Set(v.partitions.compactMap { p in g.disk(id: p.diskID)?.guid })
                guard v.state != .incomplete else { continue }
                usable.insert(uuid)
                if v.state == .degraded { degraded[uuid] = "\(g.name.display)/\(v.name.display)"; volumes[uuid] = (g, v) }
            }
        }
        func why(_ uuid: String) -> String {
            members[uuid].map { !$0.contains(lost.diskGUID) } == true
                ? "it needs disks that are missing (disk \(lost.diskGUID) (\(lost.device)) went away meanwhile)"
                : "it lost disk \(lost.diskGUID) (\(lost.device))"
        }
        let prefix = "\(DeviceNames.uuidPrefix)\(guid.text)-"
        // Volumes that can no longer run may activate again when their
        // disks return (a busy one keeps its file: it is still there).
        var labels: [String: String] = [:]
        var infos: [String: VolumeInfo] = [:]
        for info in state.allVolumes() where info.uuid.hasPrefix(prefix) && !usable.contains(info.uuid) {
            labels[info.uuid] = "\(info.group)/\(info.volume)"
            infos[info.uuid] = info
            state.removeVolume(info.uuid)
        }
        let active: [ActiveVolume]
        do { active = try activator.status() } catch {
            state.log("cannot list device-mapper devices: \(error)")
            return
        }
        for v in active where v.uuid.hasPrefix(prefix) {
            if usable.contains(v.uuid) {
                if let label = degraded[v.uuid], members[v.uuid]?.contains(lost.diskGUID) == true,
                   let (g, volume) = volumes[v.uuid] {
                    // Remembered, so that the disk's return is reported and
                    // not taken back behind the user's back.
                    if var info = state.loadVolume(v.uuid) {
                        info.degraded = true
                        info.lateMemberNoted = false
                        try? state.saveVolume(info)
                    }
                    let disk = g.disks.first { $0.guid == lost.diskGUID }?.name.display ?? "?"
                    let how = dropLostMember(v, group: g, volume: volume, lost: lost)
                    state.log("\(label) (\(v.name)) keeps running without disk \(disk) \(lost.diskGUID) (\(lost.device)): it is now degraded\(how)")
                }
                continue
            }
            let label = labels[v.uuid] ?? v.name
            for result in activator.deactivate(volumes: [v]) {
                switch result.state {
                case .removed, .notActive:
                    state.removeVolume(v.uuid)
                    state.log("removed \(label) (\(v.name)): \(why(v.uuid))")
                case .busy:
                    let reason = result.error.map { $0.reason } ?? "in use"
                    if let problem = retire(v) {
                        if let info = infos[v.uuid] { try? state.saveVolume(info) }
                        state.log("left \(label) (\(v.name)) active although \(why(v.uuid)): \(reason); could not retire it (\(problem)); unmount it, then run `ldmctl deactivate` for it")
                    } else {
                        state.removeVolume(v.uuid)
                        state.log("\(label) (\(v.name)) is open (\(reason)) although \(why(v.uuid)): its I/O now fails at once, and it is removed when its last user closes it (deferred removal); unmount it")
                    }
                default:
                    state.log("could not remove \(label) (\(v.name)): \(result.error.map { "\($0)" } ?? result.state.rawValue)")
                }
            }
        }
    }

    /// An open volume that can no longer work, as lvm2 and mdadm treat a
    /// device whose disk is gone: its table becomes one `error` target of
    /// the same size (I/O fails at once instead of waiting on a disk that
    /// is gone), the helper devices under it go, and the volume itself is
    /// removed when its last user closes it (DM_DEFERRED_REMOVE). nil on
    /// success, else what failed.
    func retire(_ v: ActiveVolume) -> String? {
        let dm = deviceMapper
        let size = v.top.targets.reduce(UInt64(0)) { $0 + $1.length }
        guard size > 0 else { return "no live table" }
        let failing = DMDevice(name: v.top.name, uuid: v.top.uuid,
                               targets: [DMTarget(start: 0, length: size, type: "error", params: "")])
        do throws(DeviceMapperError) {
            try dm.reload(failing, readOnly: v.top.readOnly)
        } catch {
            return "loading an error table: \(error)"
        }
        // No longer used by the volume: the helpers can go now.
        for helper in v.devices.dropLast().reversed() {
            do throws(DeviceMapperError) { try dm.remove(name: helper.name) } catch {
                state.log("could not remove helper device \(helper.name) of \(v.name): \(error)")
            }
        }
        do throws(DeviceMapperError) {
            _ = try dm.removeDeferred(name: v.top.name)
        } catch {
            return "deferred removal: \(error)"
        }
        return nil
    }

    // MARK: putting groups together

    /// The groups with this GUID, from the records (no disk is read).
    func assemble(_ guid: GUID) -> [DiskGroup] {
        var members: [DiskMetadata] = []
        for r in state.allRecords() where r.groupGUID == guid {
            do { members.append(try r.metadata()) } catch {
                state.log("record of \(r.number) \(r.device) is unusable, ignored: \(error)")
            }
        }
        let result = GroupAssembler.assemble(members)
        for e in result.errors { state.log("group \(guid): \(e)") }
        return result.groups
    }

    /// Decides, under the state lock, what becomes of the group: its
    /// complete volumes that are not active are queued for activation, the
    /// degraded-start timer is armed for volumes that could run degraded
    /// (or disarmed), and the user is told when a member of a volume
    /// started degraded came back. What must be started is returned, for
    /// `launch` to start once the lock is released.
    func reconcile(_ guid: GUID) throws -> [Launch] {
        let groups = assemble(guid)
        let live: Set<String>
        do { live = Set(try deviceMapper.list().map(\.uuid)) } catch {
            state.log("cannot list device-mapper devices: \(error)")
            return []
        }
        var launches: [Launch] = []
        var waiting = false
        for g in groups {
            for v in g.volumes {
                let uuid = DeviceNames.volumeUUID(g, v)
                let info = state.loadVolume(uuid)
                let label = "\(g.name.display)/\(v.name.display)"
                if live.contains(uuid) {
                    if v.state == .complete, var info, info.degraded, !info.lateMemberNoted {
                        state.log("\(label) runs degraded and now has all its disks; the late disk is NOT used: "
                            + "its copy may be out of date and ldmctl does not resynchronise. If nothing was written to "
                            + "the volume meanwhile: unmount it, `ldmctl deactivate` and `ldmctl activate` it. Otherwise "
                            + "keep it degraded and let Windows resynchronise the disk (Disk Management: Reactivate Disk / Resynchronize).")
                        info.lateMemberNoted = true
                        try? state.saveVolume(info)
                    }
                    continue
                }
                switch v.state {
                case .complete:
                    // Activated on the event that completes it, once: a
                    // volume file says it was queued, is being created, or
                    // was active and someone removed it on purpose (it comes
                    // back only after a member leaves and returns). Failed
                    // activations are tried again.
                    if let info, info.state != .failed { continue }
                    // Marked before anything starts, so the next event does not queue it again.
                    try state.saveVolume(volumeInfo(g, v, state: .queued, degraded: false))
                    launches.append(.activate(label: label, uuid: uuid, degraded: false))
                case .degraded:
                    waiting = true
                case .incomplete:
                    break
                }
            }
        }
        if waiting {
            if claimTimer(guid) { launches.append(.armTimer(guid)) }
        } else if unlink(state.timerPath(guid)) == 0 {
            launches.append(.cancelTimer(guid))
        }
        return launches
    }

    func volumeInfo(_ g: DiskGroup, _ v: Volume, state s: VolumeInfo.State, degraded: Bool) -> VolumeInfo {
        VolumeInfo(uuid: DeviceNames.volumeUUID(g, v), dmName: DeviceNames.volumeName(g, v), groupGUID: g.guid,
                   group: DeviceNames.groupPart(g), volume: v.name.deviceSafe, type: v.type.rawValue,
                   driveHint: v.driveHint.map { UdevProperties.escape($0.raw) } ?? "", state: s,
                   degraded: degraded, lateMemberNoted: false)
    }

    /// What `reconcile` decided must be started, started once the state
    /// lock is released: systemd-run talks to PID 1 and may wait on it, and
    /// every other helper, the boot unit and the units started here wait
    /// for that lock.
    enum Launch: Equatable {
        case activate(label: String, uuid: String, degraded: Bool)
        case armTimer(GUID)
        case cancelTimer(GUID)
    }

    func launch(_ launches: [Launch]) {
        for l in launches {
            switch l {
            case let .activate(label, uuid, degraded): startActivation(label: label, uuid: uuid, degraded: degraded)
            case let .armTimer(guid): startTimer(guid)
            case let .cancelTimer(guid): stopTimer(guid)
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

    /// Plans a volume and records it as active (under the state lock); the
    /// caller applies the stack without the lock.
    func prepare(_ g: DiskGroup, _ v: Volume, degraded: Bool) -> (VolumeStack, VolumeInfo)? {
        let label = "\(g.name.display)/\(v.name.display)"
        do {
            // The kernel's view of the disks this volume uses (number,
            // partitions), read once: one stat and one sysfs listing each.
            var devices: [DevicePath: DiskDevice] = [:]
            for p in v.partitions {
                guard let path = g.disk(id: p.diskID)?.location?.device, devices[path] == nil else { continue }
                devices[path] = DiskDevice.of(blockDevice: path)
            }
            let planned = VolumePipeline(allowDegraded: degraded, select: { $1.id == v.id }).plan([g], devices: devices)
            if let error = planned.planErrors.first ?? planned.conflict { throw error }
            guard let stack = planned.stacks.first else { throw PlanError(group: g.name.display, volume: v.name.display, problem: "not planned") }
            // Written first: udev's rule for the new dm device reads it.
            // Stays "queued" until the devices exist.
            let info = volumeInfo(g, v, state: .queued, degraded: degraded)
            try state.saveVolume(info)
            return (stack, info)
        } catch {
            state.log("\(label): cannot activate: \(error)")
            state.removeVolume(DeviceNames.volumeUUID(g, v))
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

    // MARK: degraded start

    /// Under the state lock: arms the group's degraded-start timer unless
    /// it is armed already (its deadline file). True if this call armed it
    /// and the timer must be started.
    func claimTimer(_ guid: GUID) -> Bool {
        let path = state.timerPath(guid)
        let now = Int(time(nil))
        if let bytes = readFile(path), let deadline = Int(String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == " " }).first ?? ""),
           now < deadline + 60 {
            return false  // armed already
        }
        return (try? writeAtomically(path, Array("\(now + degradedTimeout)\n".utf8))) != nil
    }

    /// Starts the claimed timer: a transient systemd timer where systemd
    /// runs (as mdadm's last-resort timer), else a sleeping process.
    func startTimer(_ guid: GUID) {
        let seconds = "\(degradedTimeout)"
        if useSystemd, let run = Launcher.systemdRun {
            let unit = Launcher.unitName("ldmctl-last-resort", guid.text)
            if Launcher.run(Launcher.timerArguments(run, unit: unit, seconds: degradedTimeout,
                                                    description: "ldmctl: start LDM group \(guid.text) degraded if still incomplete",
                                                    command: [selfPath, "udev", "last-resort", guid.text])) == 0 {
                state.log("group \(guid): a volume can run without a missing disk; starting it degraded in \(seconds) s unless the disk appears (\(unit).timer)")
                return
            }
            state.log("group \(guid): systemd-run failed or did not answer for \(unit).timer; waiting in a process of its own")
        }
        let pid = Launcher.spawn([selfPath, "udev", "last-resort", "--wait", seconds, guid.text], detach: true)
        // The sleeper's pid, so that whoever clears the state can stop it
        // (only if the timer is still armed: it may have been disarmed meanwhile).
        let path = state.timerPath(guid)
        try? state.locked {
            if let bytes = readFile(path), let deadline = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first {
                try? writeAtomically(path, Array("\(deadline) \(pid ?? 0)\n".utf8))
            }
        }
        state.log("group \(guid): a volume can run without a missing disk; starting it degraded in \(seconds) s unless the disk appears")
    }

    /// The group became complete before its timer fired: stop the timer
    /// (its deadline file is gone already, so a sleeping process finds
    /// nothing to do when it wakes).
    func stopTimer(_ guid: GUID) {
        guard useSystemd, let systemctl = Launcher.systemctl else { return }
        let unit = Launcher.unitName("ldmctl-last-resort", guid.text)
        if Launcher.run([systemctl, "stop", "--no-block", "\(unit).timer"]) == 0 {
            state.log("group \(guid): all disks present; degraded start cancelled (\(unit).timer stopped)")
        }
    }

    /// The timer fired: start what is still degraded, degraded.
    public func lastResort(_ guid: GUID) throws {
        let prepared: [(VolumeStack, VolumeInfo)] = try state.locked {
            // Disarmed meanwhile (the group became complete, or the state
            // was cleared): nothing to do.
            guard unlink(state.timerPath(guid)) == 0 else { return [] }
            let live = Set(try deviceMapper.list().map(\.uuid))
            var out: [(VolumeStack, VolumeInfo)] = []
            for g in assemble(guid) {
                for v in g.volumes where !live.contains(DeviceNames.volumeUUID(g, v)) {
                    if let info = state.loadVolume(DeviceNames.volumeUUID(g, v)), info.state == .queued { continue }
                    switch v.state {
                    case .complete:
                        if let p = prepare(g, v, degraded: false) { out.append(p) }
                    case .degraded:
                        state.log("\(g.name.display)/\(v.name.display): missing disks did not appear within \(degradedTimeout) s; starting it degraded")
                        if let p = prepare(g, v, degraded: true) { out.append(p) }
                    case .incomplete:
                        break
                    }
                }
            }
            return out
        }
        try apply(prepared)
    }

    /// Run by the unit or process `activate` started.
    public func activateQueued(uuid: String, degraded: Bool) throws {
        let prepared: [(VolumeStack, VolumeInfo)] = try state.locked {
            guard let info = state.loadVolume(uuid) else { throw HotplugError("no queued volume \(LDMName(uuid).display)") }
            for g in assemble(info.groupGUID) {
                for v in g.volumes where DeviceNames.volumeUUID(g, v) == uuid {
                    guard v.state == .complete || (degraded && v.state == .degraded) else {
                        state.log("\(g.name.display)/\(v.name.display): no longer complete; not activated")
                        state.removeVolume(uuid)
                        return []
                    }
                    return prepare(g, v, degraded: v.state == .degraded).map { [$0] } ?? []
                }
            }
            state.removeVolume(uuid)
            return []
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
            let prepared: [(VolumeStack, VolumeInfo)] = try state.locked {
                let live = Set(try deviceMapper.list().map(\.uuid))
                return assemble(guid).flatMap { g in
                    g.volumes.filter { $0.state == .complete && !live.contains(DeviceNames.volumeUUID(g, $0)) }
                        .compactMap { prepare(g, $0, degraded: false) }
                }
            }
            try apply(prepared)
            launch(try state.locked { try reconcile(guid) })   // arms degraded-start timers
        }
    }
}

public enum HotplugConfig {
    public static let defaultDegradedTimeout = 30
    public static let defaultPath = "/etc/ldmctl.conf"

    /// `degraded_timeout = SECONDS` from the config file (`#` comments),
    /// overridden by $LDMCTL_DEGRADED_TIMEOUT.
    public static func degradedTimeout() -> Int {
        if let v = getenv("LDMCTL_DEGRADED_TIMEOUT").map({ String(cString: $0) }), let n = parse(v) { return n }
        let path = getenv("LDMCTL_CONFIG").map { String(cString: $0) } ?? defaultPath
        guard let bytes = readFile(path, limit: 65536) else { return defaultDegradedTimeout }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let body = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let kv = body.split(separator: "=", maxSplits: 1).map { $0.filter { $0 != " " && $0 != "\t" } }
            if kv.count == 2, kv[0] == "degraded_timeout", let n = parse(String(kv[1])) { return n }
        }
        return defaultDegradedTimeout
    }

    public static func parse(_ s: String) -> Int? {
        guard let n = Int(s), n >= 0, n <= 86400 else { return nil }
        return n
    }
}
