import DMTable
import DeviceMapper
import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// Applies planned volume stacks to the kernel and takes them down again.
/// Decides nothing about which volumes: callers (command line, hotplug)
/// pass the stacks they want. Never writes to member disks: it only creates
/// and removes mappings, sends no target messages and opens no disk.
public struct Activator: Sendable {
    /// UUID prefix of every device this tool creates; nothing else is touched.
    public static let defaultLockPath = "/run/ldmctl.lock"

    public var deviceMapper: any DeviceMapperControl
    /// Serialises concurrent runs (e.g. several hotplug events). nil: no lock.
    public var lockPath: String?
    /// How often to look again before calling a device busy, so a moment's
    /// open by udev's probe does not count.
    public var busyRechecks: Int
    /// Seconds to wait for another run's lock before failing.
    public var lockTimeout: Double = 120
    public var busyRecheckDelayMilliseconds: Int

    public init(deviceMapper: any DeviceMapperControl = DeviceMapper(),
                lockPath: String? = Activator.defaultLockPath,
                busyRechecks: Int = 3, busyRecheckDelayMilliseconds: Int = 200) {
        self.deviceMapper = deviceMapper
        self.lockPath = lockPath
        self.busyRechecks = busyRechecks
        self.busyRecheckDelayMilliseconds = busyRecheckDelayMilliseconds
    }

    // MARK: Activate

    /// Activates each stack independently; one volume's failure leaves the
    /// others alone. A failed volume has nothing of it left in the kernel
    /// that this run created.
    public func activate(stacks: [VolumeStack], options: ActivationOptions = ActivationOptions()) -> [VolumeActivation] {
        withLock(skip: options.dryRun, stacks: stacks,
                 failed: { stack, error in activation(stack, .failed, error: error) }) {
            // One udev transaction for the whole run: every device joins one
            // cookie, and udev is waited for once, at the end.
            let transaction = UdevTransaction()
            var results = stacks.map { activateOne($0, options: options, transaction: transaction) }
            do throws(DeviceMapperError) { try deviceMapper.finish(transaction) } catch {
                // udev did not confirm in time: as when one device's wait
                // times out, what this run created goes again.
                for (i, stack) in stacks.enumerated() where results[i].state == .activated {
                    var failure = Self.kernelError(error, volume: Self.volumeLabel(stack))
                    failure.rollback = rollBack(results[i].created)
                    results[i] = activation(stack, .failed, steps: results[i].steps, error: failure)
                }
            }
            return results
        }
    }

    private func activation(_ stack: VolumeStack, _ state: VolumeActivation.State, created: [String] = [],
                            steps: [PlannedStep] = [], error: ActivationError? = nil) -> VolumeActivation {
        VolumeActivation(groupName: stack.groupName, volumeName: stack.volumeName,
                         device: stack.devices.last?.name ?? "", state: state, created: created,
                         steps: steps, error: error, notes: stack.notes)
    }

    private func activateOne(_ stack: VolumeStack, options: ActivationOptions,
                             transaction: UdevTransaction) -> VolumeActivation {
        let volume = Self.volumeLabel(stack)
        if let problem = validate(stack) {
            return activation(stack, .failed, error: problem)
        }
        let dm = deviceMapper

        // What of the stack is already there, and does it match?
        var steps: [PlannedStep] = []
        var liveDevices: [DMDeviceInfo]
        var notes = stack.notes
        do throws(DeviceMapperError) { liveDevices = try dm.list() } catch {
            // A dry run changes nothing, so it does not need device-mapper:
            // without it nothing can be live, and every device would be new.
            guard options.dryRun else {
                return activation(stack, .failed, error: Self.kernelError(error, volume: volume))
            }
            liveDevices = []
            notes.append("device-mapper is not usable here (\(error)); planned as if no device existed")
        }
        for device in stack.devices {
            let planned = PlannedStep(action: .create, device: device.name, uuid: device.uuid,
                                      readOnly: options.readOnly, table: device.targets.map(\.line))
            if let live = liveDevices.first(where: { $0.name == device.name }) {
                if let conflict = mismatch(device, live: live, volume: volume) {
                    return activation(stack, .failed, error: conflict)
                }
                steps.append(PlannedStep(action: .keep, device: device.name, uuid: device.uuid,
                                         readOnly: live.readOnly))
            } else if let owner = liveDevices.first(where: { $0.uuid == device.uuid }) {
                // The kernel refuses a second device with the same UUID.
                return activation(stack, .failed, error: ActivationError(
                    kind: .conflict, volume: volume, device: device.name,
                    reason: "UUID \(device.uuid) is already used by device '\(owner.name)'"))
            } else {
                steps.append(planned)
            }
        }
        if steps.allSatisfy({ $0.action == .keep }) {
            return activation(stack, .alreadyActive, steps: steps)
        }
        if options.dryRun {
            var planned = activation(stack, .planned, steps: steps)
            planned.notes = notes
            return planned
        }

        // Create in order; on any failure remove what this run created.
        var created: [String] = []
        for (device, step) in zip(stack.devices, steps) where step.action == .create {
            // Only the volume itself (the top device) is for udev's rules,
            // blkid and the desktop; helpers under it are private.
            let visibility: UdevVisibility = device.name == stack.devices.last?.name ? .visible : .private
            do throws(DeviceMapperError) {
                try dm.create(device, readOnly: options.readOnly, visibility: visibility, transaction: transaction)
                created.append(device.name)
            } catch {
                var failure = Self.kernelError(error, volume: volume, device: device)
                failure.rollback = rollBack(created)
                return activation(stack, .failed, steps: steps, error: failure)
            }
        }
        return activation(stack, .activated, created: created, steps: steps)
    }

    /// Removes `created` newest first; says what happened to each.
    private func rollBack(_ created: [String]) -> [String] {
        created.reversed().map { name in
            do throws(DeviceMapperError) {
                try deviceMapper.remove(name: name)
                return "removed \(name)"
            } catch {
                return "could not remove \(name): \(error)"
            }
        }
    }

    /// nil when the live device is exactly the planned one.
    private func mismatch(_ device: DMDevice, live: DMDeviceInfo, volume: String) -> ActivationError? {
        func conflict(_ reason: String) -> ActivationError {
            ActivationError(kind: .conflict, volume: volume, device: device.name, reason: reason)
        }
        guard live.uuid == device.uuid else {
            let has = live.uuid.isEmpty ? "no UUID" : "UUID \(live.uuid)"
            return conflict("exists with \(has), expected \(device.uuid)")
        }
        guard live.hasLiveTable else {
            return conflict("exists without a live table (left half-created?); remove it first")
        }
        let table: [DMTarget]
        do throws(DeviceMapperError) { table = try deviceMapper.table(name: device.name) } catch {
            return Self.kernelError(error, volume: volume, device: device)
        }
        guard deviceMapper.tableMatches(planned: device.targets, live: table) else {
            let first = zip(device.targets, table).first { p, l in
                !deviceMapper.tableMatches(planned: [p], live: [l])
            }
            var reason = "exists with a different table"
            if let (p, l) = first { reason += ": live '\(l.line)', planned '\(p.line)'" }
            else { reason += ": live \(table.count) targets, planned \(device.targets.count)" }
            return conflict(reason)
        }
        return nil
    }

    private func validate(_ stack: VolumeStack) -> ActivationError? {
        let volume = Self.volumeLabel(stack)
        guard !stack.devices.isEmpty else {
            return ActivationError(kind: .invalidStack, volume: volume, reason: "stack has no devices")
        }
        var names = Set<String>()
        for device in stack.devices {
            func invalid(_ reason: String) -> ActivationError {
                ActivationError(kind: .invalidStack, volume: volume, device: device.name, reason: reason)
            }
            guard device.uuid.hasPrefix(DeviceNames.uuidPrefix) else {
                return invalid("UUID '\(device.uuid)' does not start with \(DeviceNames.uuidPrefix)")
            }
            guard names.insert(device.name).inserted else { return invalid("device listed twice") }
            do throws(DeviceMapperError) {
                try DMNames.validateName(device.name)
                try DMNames.validateUUID(device.uuid)
                try DMNames.validateTable(device)
            } catch {
                return invalid(error.reason)
            }
        }
        return nil
    }

    // MARK: Deactivate

    /// Removes each stack's devices, top first. A stack any of whose devices
    /// is open or held from outside the stack is left whole and reported busy.
    public func deactivate(stacks: [VolumeStack], dryRun: Bool = false) -> [VolumeDeactivation] {
        withLock(skip: dryRun, stacks: stacks,
                 failed: { stack, error in
                     VolumeDeactivation(groupName: stack.groupName, volumeName: stack.volumeName,
                                        device: stack.devices.last?.name ?? "", state: .failed,
                                        removed: [], steps: [], error: error)
                 }) {
            stacks.map { stack in
                deactivateOne(groupName: stack.groupName, volumeName: stack.volumeName,
                              devices: stack.devices.map { ($0.name, $0.uuid) }, dryRun: dryRun)
            }
        }
    }

    /// Removes volumes found in the kernel (see `status()`), e.g. when their
    /// disks are gone and no stack can be planned any more.
    public func deactivate(volumes: [ActiveVolume], dryRun: Bool = false) -> [VolumeDeactivation] {
        let stacks = volumes.map {
            VolumeStack(groupName: "", volumeName: $0.name,
                        devices: $0.devices.map { DMDevice(name: $0.name, uuid: $0.uuid, targets: []) })
        }
        return deactivate(stacks: stacks, dryRun: dryRun)
    }

    private func deactivateOne(groupName: String, volumeName: String, devices: [(name: String, uuid: String)],
                               dryRun: Bool) -> VolumeDeactivation {
        let top = devices.last?.name ?? ""
        let volume = groupName.isEmpty ? volumeName : "\(groupName)/\(volumeName)"
        func result(_ state: VolumeDeactivation.State, removed: [String] = [], steps: [PlannedStep] = [],
                    error: ActivationError? = nil) -> VolumeDeactivation {
            VolumeDeactivation(groupName: groupName, volumeName: volumeName, device: top, state: state,
                               removed: removed, steps: steps, error: error)
        }
        let dm = deviceMapper

        // The devices of the stack that exist, checked to be ours.
        var present: [DMDeviceInfo] = []
        for (name, uuid) in devices {
            let info: DMDeviceInfo?
            do throws(DeviceMapperError) { info = try dm.info(name: name) } catch {
                return result(.failed, error: Self.kernelError(error, volume: volume))
            }
            guard let info else { continue }
            guard info.uuid == uuid, uuid.hasPrefix(DeviceNames.uuidPrefix) else {
                return result(.failed, error: ActivationError(
                    kind: .conflict, volume: volume, device: name,
                    reason: "has UUID '\(info.uuid)', not '\(uuid)'; not removing a device that is not ours"))
            }
            present.append(info)
        }
        if present.isEmpty { return result(.notActive) }

        var busy: ActivationError?
        for attempt in 0...max(0, busyRechecks) {
            if attempt > 0 { usleep(useconds_t(busyRecheckDelayMilliseconds * 1000)) }
            do throws(DeviceMapperError) {
                busy = try busyReason(present, volume: volume)
            } catch {
                return result(.failed, error: Self.kernelError(error, volume: volume))
            }
            if busy == nil { break }
            // Refresh open counts for the next look.
            present = present.compactMap { (try? dm.info(name: $0.name)) ?? nil }
        }
        if let busy { return result(.busy, error: busy) }

        let steps = present.reversed().map { PlannedStep(action: .remove, device: $0.name, uuid: $0.uuid) }
        if dryRun { return result(.planned, steps: steps) }

        var removed: [String] = []
        for step in steps {
            do throws(DeviceMapperError) {
                try dm.remove(name: step.device)
                removed.append(step.device)
            } catch {
                if case .notFound = error { continue }  // gone meanwhile: fine
                var failure = Self.kernelError(error, volume: volume)
                failure.device = step.device
                let left = steps.map(\.device).filter { !removed.contains($0) }
                failure.rollback = ["still present: " + left.joined(separator: ", ")]
                return result(.failed, removed: removed, steps: steps, error: failure)
            }
        }
        return result(.removed, removed: removed, steps: steps)
    }

    /// nil if only the stack's own devices use each other.
    private func busyReason(_ present: [DMDeviceInfo], volume: String) throws(DeviceMapperError) -> ActivationError? {
        let memberNames = Set(present.map(\.kernelName))
        var uses: [DeviceNumber: Int] = [:]   // opens by the stack's own tables
        for member in present {
            for dep in Set(try deviceMapper.dependencies(name: member.name)) { uses[dep, default: 0] += 1 }
        }
        for member in present.reversed() {
            let outside = try deviceMapper.holders(of: member.number).filter { !memberNames.contains($0) }
            let opens = member.openCount - uses[member.number, default: 0]
            if !outside.isEmpty || opens > 0 {
                var reason = "in use"
                if opens > 0 { reason += ", open \(opens) time(s) (mounted or opened by a program?)" }
                if !outside.isEmpty { reason += ", held by \(outside.joined(separator: ", "))" }
                return ActivationError(kind: .busy, volume: volume, device: member.name, reason: reason)
            }
        }
        return nil
    }

    // MARK: Shared

    static func volumeLabel(_ stack: VolumeStack) -> String {
        if stack.groupName.isEmpty && stack.volumeName.isEmpty { return stack.devices.last?.name ?? "?" }
        return "\(stack.groupName)/\(stack.volumeName)"
    }

    /// Turns a device-mapper failure into the volume's error, pointing at the
    /// target the kernel named ("device-mapper: table: 254:3: raid: ...").
    static func kernelError(_ error: DeviceMapperError, volume: String, device: DMDevice? = nil) -> ActivationError {
        var result = ActivationError(kind: .kernel, volume: volume, device: error.device ?? device?.name,
                                     step: error.step.description, reason: error.reason)
        switch error {
        case .failed(let failure):
            result.errno = failure.errno
            result.kernelMessages = failure.kernelMessages
            result.libraryMessages = failure.libraryMessages
            result.reason = failure.errnoDescription
            if let reason = failure.kernelReason { result.reason += ": " + reason }
            else if let lib = failure.libraryMessages.last { result.reason += ": " + lib }
            if let device, let type = targetType(named: failure.kernelMessages, in: device) {
                result.targetType = type
                let indices = device.targets.indices.filter { device.targets[$0].type == type }
                if indices.count == 1 { result.targetIndex = indices[0] }
            }
        case .invalidName, .invalidUUID, .invalidTable:
            result.kind = .invalidStack
        default:
            break
        }
        return result
    }

    private static func targetType(named messages: [String], in device: DMDevice) -> String? {
        let types = Set(device.targets.map(\.type))
        for message in messages.reversed() {
            // "device-mapper: table: 254:3: raid: Device lookup failed"
            let parts = message.split(separator: ":", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: " ") }
            if let hit = parts.first(where: { types.contains($0) }) { return hit }
        }
        return nil
    }

    func withLock<R>(skip: Bool, stacks: [VolumeStack],
                             failed: (VolumeStack, ActivationError) -> R,
                             _ body: () -> [R]) -> [R] {
        guard !skip, let lockPath else { return body() }
        // Bounded: a holder waits for udev, which may itself be stuck; a
        // caller that gives up says so instead of hanging its unit or worker.
        let lock: FileLock
        do throws(FileLock.Failure) { lock = try FileLock(path: lockPath, timeout: lockTimeout) } catch {
            return stacks.map { failed($0, ActivationError(kind: .lock, volume: Self.volumeLabel($0), reason: "\(error)")) }
        }
        defer { lock.release() }
        return body()
    }
}

private extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}

private extension Substring {
    func trimmingCharacters(in set: Character) -> String { String(self).trimmingCharacters(in: set) }
}
