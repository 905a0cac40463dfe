import SystemIO
import CDeviceMapper
import CDeviceMapperShim
import DMTypes
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How device-mapper calls wait for udev.
public enum UdevSyncMode: Sendable, Equatable {
    /// Wait for udev to finish each device (so /dev/mapper/NAME exists when
    /// a call returns) if udev runs and the device-mapper rules that
    /// confirm back (95-dm-notify.rules) are installed; otherwise let
    /// libdevmapper make the nodes itself.
    case automatic
    /// Never wait for udev; libdevmapper makes /dev/mapper nodes itself.
    case disabled
}

/// libdevmapper keeps global state (log function, udev settings, its
/// node-operation stack), so every call goes through this one lock.
private let libraryLock = Mutex<Bool>(false)

/// The real kernel, through libdevmapper. A value: holds only settings.
public struct DeviceMapper: DeviceMapperControl {
    public var udevSync: UdevSyncMode
    /// How long to wait for udev to confirm one device before giving up.
    public var udevTimeoutSeconds: Int
    /// Whether the devices of one activation share one udev cookie (one
    /// wait for all, as lvm2 does) instead of one wait each. The shared
    /// semaphore counts one `dmsetup udevcomplete` per device, so it relies
    /// on exactly one udevd answering each event: with two daemons (once
    /// the case in the VM tests) it reaches zero after half of the events,
    /// before the last /dev/mapper links exist.
    public var sharesUdevCookie = true
    /// Removal attempts while the device is transiently open (udev's blkid
    /// probes, a scanner) and the kernel answers EBUSY.
    public var removeAttempts: Int
    public var removeRetryDelayMilliseconds: Int
    /// Echo libdevmapper messages up to this level to stderr (7 = debug).
    public var libraryLogLevel: Int32

    public init(udevSync: UdevSyncMode = .automatic, udevTimeoutSeconds: Int = 30,
                removeAttempts: Int = 25, removeRetryDelayMilliseconds: Int = 200,
                libraryLogLevel: Int32 = 0) {
        self.udevSync = udevSync
        self.udevTimeoutSeconds = udevTimeoutSeconds
        self.removeAttempts = max(1, removeAttempts)
        self.removeRetryDelayMilliseconds = removeRetryDelayMilliseconds
        self.libraryLogLevel = libraryLogLevel
    }

    // MARK: Changing the kernel

    public func create(_ device: DMDevice, readOnly: Bool) throws(DeviceMapperError) {
        try create(device, readOnly: readOnly, visibility: .visible, transaction: nil)
    }

    public func create(_ device: DMDevice, readOnly: Bool, visibility: UdevVisibility,
                       transaction: UdevTransaction?) throws(DeviceMapperError) {
        try DMNames.validateName(device.name)
        try DMNames.validateUUID(device.uuid)
        try DMNames.validateTable(device)
        try withLibraryThrowing { () throws(DeviceMapperError) in
            let kernelLog = KernelLogCursor()
            // Three ioctls rather than libdevmapper's combined create so the
            // error says which one failed. The name and UUID first ...
            do {
                let task = try DMTask(DM_DEVICE_CREATE, step: .create, device: device.name)
                try task.setName(device.name)
                try task.setUUID(device.uuid)
                if readOnly { try task.setReadOnly() }
                try task.run(kernelLog)
                if let transaction, let info = task.info(name: device.name) {
                    transaction.created["/dev/mapper/\(device.name)"] = info.number
                }
            }
            // ... then the table, then make it live. Undo the name on failure.
            do throws(DeviceMapperError) {
                let load = try DMTask(DM_DEVICE_RELOAD, step: .load, device: device.name)
                try load.setName(device.name)
                if readOnly { try load.setReadOnly() }
                var targets = device.targets
                if let transaction {
                    for i in targets.indices { targets[i].params = transaction.resolve(targets[i].params) }
                }
                try load.addTargets(targets)
                try load.run(kernelLog)

                let resume = try DMTask(DM_DEVICE_RESUME, step: .resume, device: device.name)
                try resume.setName(device.name)
                if let transaction, sharesUdevCookie {
                    // udev makes the nodes (as lvm2 lets it): libdevmapper's
                    // own fallback would run its queued node operations at
                    // the next ioctl of the transaction, before udev has
                    // processed the event, and leave a plain node behind
                    // instead of udev's link. Without udev, libdevmapper
                    // makes them when the transaction finishes.
                    let noFallback: UInt16 = dm_udev_get_sync_support() != 0 ? 0x0020 : 0
                    try resume.runJoining(transaction, flags: visibility.cookieFlags | noFallback, kernelLog)
                } else {
                    try resume.runWaitingForUdev(kernelLog, timeoutSeconds: udevTimeoutSeconds, flags: visibility.cookieFlags)
                }
            } catch {
                if let transaction { transaction.created["/dev/mapper/\(device.name)"] = nil }
                try? removeLocked(name: device.name, attempts: removeAttempts)
                throw error
            }
        }
    }

    public func finish(_ transaction: UdevTransaction) throws(DeviceMapperError) {
        let confirmed = withLibrary { DMTask.waitForUdev(transaction, timeoutSeconds: udevTimeoutSeconds) }
        if !confirmed {
            throw .udevTimeout(device: transaction.created.keys.sorted().joined(separator: " "), step: .resume,
                               seconds: udevTimeoutSeconds)
        }
    }

    public func reload(_ device: DMDevice, readOnly: Bool) throws(DeviceMapperError) {
        try DMNames.validateName(device.name)
        try DMNames.validateTable(device)
        try withLibraryThrowing { () throws(DeviceMapperError) in
            let kernelLog = KernelLogCursor()
            let load = try DMTask(DM_DEVICE_RELOAD, step: .load, device: device.name)
            try load.setName(device.name)
            if readOnly { try load.setReadOnly() }
            try load.addTargets(device.targets)
            try load.run(kernelLog)

            let resume = try DMTask(DM_DEVICE_RESUME, step: .resume, device: device.name)
            try resume.setName(device.name)
            try resume.runWaitingForUdev(kernelLog, timeoutSeconds: udevTimeoutSeconds)
        }
    }

    public func remove(name: String) throws(DeviceMapperError) {
        try DMNames.validateName(name)
        try withLibraryThrowing { () throws(DeviceMapperError) in
            try removeLocked(name: name, attempts: removeAttempts)
        }
    }

    /// Removes the device now if nothing has it open, else marks it for
    /// removal when its last user closes it (DM_DEFERRED_REMOVE). True if
    /// the removal was deferred.
    public func removeDeferred(name: String) throws(DeviceMapperError) -> Bool {
        try DMNames.validateName(name)
        let r = withLibrary { dmshim_deferred_remove(name) }
        if r < 0 {
            if -r == ENXIO { throw .notFound(device: name, step: .remove) }
            throw .failed(DMFailure(step: .remove, device: name, errno: -r))
        }
        return r == 1
    }

    private func removeLocked(name: String, attempts: Int) throws(DeviceMapperError) {
        var attempt = 1
        while true {
            let kernelLog = KernelLogCursor()
            do {
                let task = try DMTask(DM_DEVICE_REMOVE, step: .remove, device: name)
                try task.setName(name)
                try task.runWaitingForUdev(kernelLog, timeoutSeconds: udevTimeoutSeconds)
                return
            } catch let error where error.errno == ENXIO {
                throw .notFound(device: name, step: .remove)
            } catch let error where error.errno == EBUSY && attempt < attempts {
                // Something (udev's probe, a scanner) has it open for a moment.
                attempt += 1
                usleep(useconds_t(removeRetryDelayMilliseconds * 1000))
            }
        }
    }

    // MARK: Reading the kernel

    public func list() throws(DeviceMapperError) -> [DMDeviceInfo] {
        let names = try withLibraryThrowing { () throws(DeviceMapperError) -> [String] in
            let task = try DMTask(DM_DEVICE_LIST, step: .list, device: nil)
            try task.run(KernelLogCursor(enabled: false))
            return task.names()
        }
        var result: [DMDeviceInfo] = []
        for name in names {
            // A device may go away between the list and its info.
            if let info = try info(name: name) { result.append(info) }
        }
        return result
    }

    public func info(name: String) throws(DeviceMapperError) -> DMDeviceInfo? {
        try DMNames.validateQueryName(name)
        return try withLibraryThrowing { () throws(DeviceMapperError) -> DMDeviceInfo? in
            let task = try DMTask(DM_DEVICE_INFO, step: .info, device: name)
            try task.setName(name)
            try task.run(KernelLogCursor(enabled: false))
            return task.info(name: name)
        }
    }

    public func table(name: String) throws(DeviceMapperError) -> [DMTarget] {
        try targets(name: name, type: DM_DEVICE_TABLE, step: .table).map {
            DMTarget(start: $0.start, length: $0.length, type: $0.type, params: $0.status)
        }
    }

    public func status(name: String) throws(DeviceMapperError) -> [DMTargetStatus] {
        try targets(name: name, type: DM_DEVICE_STATUS, step: .status)
    }

    private func targets(name: String, type: Int, step: DMStep) throws(DeviceMapperError) -> [DMTargetStatus] {
        try DMNames.validateQueryName(name)
        return try withLibraryThrowing { () throws(DeviceMapperError) -> [DMTargetStatus] in
            let task = try DMTask(type, step: step, device: name)
            try task.setName(name)
            try task.run(KernelLogCursor(enabled: false))
            guard task.info(name: name) != nil else { throw .notFound(device: name, step: step) }
            return task.targets()
        }
    }

    public func dependencies(name: String) throws(DeviceMapperError) -> [DeviceNumber] {
        try DMNames.validateQueryName(name)
        return try withLibraryThrowing { () throws(DeviceMapperError) -> [DeviceNumber] in
            let task = try DMTask(DM_DEVICE_DEPS, step: .deps, device: name)
            try task.setName(name)
            try task.run(KernelLogCursor(enabled: false))
            guard task.info(name: name) != nil else { throw .notFound(device: name, step: .deps) }
            return task.dependencies()
        }
    }

    public func holders(of device: DeviceNumber) throws(DeviceMapperError) -> [String] {
        let path = "/sys/dev/block/\(device)/holders"
        do {
            return try SystemIO.listDirectory(path).sorted()
        } catch {
            if error.rawValue == ENOENT { throw .notFound(device: device.description, step: .sysfs) }
            throw .failed(DMFailure(step: .sysfs, device: device.description, errno: error.rawValue))
        }
    }

    public func canonicalParams(_ params: String) -> String {
        params.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { token -> String in
            guard token.hasPrefix("/dev/") else { return String(token) }
            var st = stat()
            guard stat(String(token), &st) == 0, (st.st_mode & S_IFMT) == S_IFBLK else {
                return String(token)
            }
            return DeviceNumber(encoded: UInt64(st.st_rdev)).description
        }.joined(separator: " ")
    }

    // MARK: Library state

    private func configureLocked(_ installed: inout Bool) {
        if !installed {
            dmshim_log_install(libraryLogLevel)
            // Names are whitelisted; show the kernel's names unchanged.
            dm_set_name_mangling_mode(DM_STRING_MANGLING_NONE)
            installed = true
        }
        let sync = udevSync == .automatic && Self.udevConfirmsDevices()
        dm_udev_set_sync_support(sync ? 1 : 0)
    }

    private func withLibrary<T>(_ body: () -> T) -> T {
        libraryLock.withLock { installed in
            configureLocked(&installed)
            return body()
        }
    }

    private func withLibraryThrowing<T: Sendable>(
        _ body: () throws(DeviceMapperError) -> T
    ) throws(DeviceMapperError) -> T {
        let result: Result<T, DeviceMapperError> = libraryLock.withLock { installed in
            configureLocked(&installed)
            do throws(DeviceMapperError) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Whether waiting for udev can end: udevd must answer on its control
    /// socket (libdevmapper only checks that the socket file exists, which a
    /// killed udevd leaves behind), and the rule that calls `dmsetup
    /// udevcomplete` must be installed, or a cookie is never released.
    private static func udevConfirmsDevices() -> Bool {
        let rules = ["/etc/udev/rules.d", "/run/udev/rules.d", "/usr/lib/udev/rules.d", "/lib/udev/rules.d"]
            .contains { access("\($0)/95-dm-notify.rules", R_OK) == 0 }
        return rules && udevdAnswers()
    }

    private static func udevdAnswers() -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array("/run/udev/control".utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.enumerated() where i < raw.count - 1 { raw[i] = byte }
        }
        // Connecting sends nothing; udevd just sees the peer close.
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }
}

extension DMNames {
    /// Queries accept any name the kernel may hold (only length and NUL
    /// matter), since they never create anything.
    static func validateQueryName(_ name: String) throws(DeviceMapperError) {
        guard !name.isEmpty, name.utf8.count <= maxNameLength, !name.utf8.contains(0) else {
            throw .invalidName(name, reason: "not a device-mapper name")
        }
    }
}
