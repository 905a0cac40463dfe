import CDeviceMapper
import CDeviceMapperShim
import DMTypes
#if canImport(Glibc)
import Glibc
#endif

/// One libdevmapper task (one ioctl), destroyed with its owner. Only used
/// under the library lock.
struct DMTask: ~Copyable {
    let handle: OpaquePointer
    let step: DMStep
    let device: String?

    init(_ type: Int, step: DMStep, device: String?) throws(DeviceMapperError) {
        dmshim_log_reset()
        guard let handle = dm_task_create(Int32(type)) else {
            throw .library(step: step, device: device, messages: capturedLibraryMessages())
        }
        self.handle = handle
        self.step = step
        self.device = device
    }

    deinit {
        dm_task_destroy(handle)
    }

    private func check(_ ok: Int32) throws(DeviceMapperError) {
        if ok == 0 {
            throw .library(step: step, device: device, messages: capturedLibraryMessages())
        }
    }

    func setName(_ name: String) throws(DeviceMapperError) { try check(dm_task_set_name(handle, name)) }
    func setUUID(_ uuid: String) throws(DeviceMapperError) { try check(dm_task_set_uuid(handle, uuid)) }
    func setReadOnly() throws(DeviceMapperError) { try check(dm_task_set_ro(handle)) }

    func addTargets(_ targets: [DMTarget]) throws(DeviceMapperError) {
        for target in targets {
            try check(dm_task_add_target(handle, target.start, target.length, target.type, target.params))
        }
    }

    /// Runs the ioctl; on failure throws with errno and both logs.
    func run(_ kernelLog: borrowing KernelLogCursor) throws(DeviceMapperError) {
        dmshim_log_reset()
        if dm_task_run(handle) == 0 {
            throw failure(kernelLog)
        }
    }

    /// Runs an ioctl that makes udev events (resume, remove) and waits until
    /// udev has processed them, or, without udev, until libdevmapper has
    /// made or removed the /dev/mapper node itself.
    func runWaitingForUdev(_ kernelLog: borrowing KernelLogCursor, timeoutSeconds: Int, flags: UInt16 = 0) throws(DeviceMapperError) {
        var cookie: UInt32 = 0
        dmshim_log_reset()
        guard dm_task_set_cookie(handle, &cookie, flags) != 0 else {
            throw .library(step: step, device: device, messages: capturedLibraryMessages())
        }
        let ran = dm_task_run(handle) != 0
        let failed: DeviceMapperError? = ran ? nil : failure(kernelLog)
        // Wait even after a failure: the cookie's semaphore must be released
        // (libdevmapper has already completed it when the ioctl failed).
        let confirmed = Self.waitForUdev(cookie: cookie, timeoutSeconds: timeoutSeconds)
        if let failed { throw failed }
        if !confirmed {
            throw .udevTimeout(device: device ?? "?", step: step, seconds: timeoutSeconds)
        }
    }

    /// Runs the ioctl on the transaction's cookie (made by the first
    /// device), with this device's udev flags; nobody waits yet.
    func runJoining(_ transaction: UdevTransaction, flags: UInt16, _ kernelLog: borrowing KernelLogCursor) throws(DeviceMapperError) {
        dmshim_log_reset()
        var cookie = transaction.cookie
        guard dm_task_set_cookie(handle, &cookie, flags) != 0 else {
            throw .library(step: step, device: device, messages: capturedLibraryMessages())
        }
        // The first device makes the cookie (a semaphore); the others join it.
        if transaction.cookie == 0 { transaction.cookie = cookie }
        // A failed ioctl has been completed by libdevmapper already.
        guard dm_task_run(handle) != 0 else { throw failure(kernelLog) }
        transaction.pending += 1
    }

    /// Waits for the transaction's events; on timeout releases what is
    /// still pending so no semaphore is left behind.
    static func waitForUdev(_ transaction: UdevTransaction, timeoutSeconds: Int) -> Bool {
        guard transaction.cookie != 0 else {
            _ = dm_udev_wait(0)   // no udev: libdevmapper makes the nodes now
            return true
        }
        return waitForUdev(cookie: transaction.cookie, timeoutSeconds: timeoutSeconds, pending: max(1, transaction.pending))
    }

    private static func waitForUdev(cookie: UInt32, timeoutSeconds: Int, pending: Int = 1) -> Bool {
        // Cookie 0: no udev synchronisation; this runs the library's own
        // pending node operations.
        guard cookie != 0 else {
            _ = dm_udev_wait(cookie)
            return true
        }
        let deadline = timeoutSeconds * 1000
        var waited = 0
        while true {
            var ready: Int32 = 0
            if dm_udev_wait_immediate(cookie, &ready) == 0 { return true }  // semaphore gone: nothing to wait for
            if ready != 0 { return true }
            if waited >= deadline {
                // Release the semaphore ourselves so nothing is left behind;
                // the wait then also runs libdevmapper's node fallback.
                for _ in 0..<pending {
                    var done: Int32 = 0
                    if dm_udev_wait_immediate(cookie, &done) == 0 || done != 0 { return false }
                    _ = dm_udev_complete(cookie)
                }
                _ = dm_udev_wait(cookie)
                return false
            }
            usleep(10_000)
            waited += 10
        }
    }

    private func failure(_ kernelLog: borrowing KernelLogCursor) -> DeviceMapperError {
        var code = dm_task_get_errno(handle)
        if code == 0 { code = dmshim_log_last_errno() }
        let kernel = kernelLog.newMessages()
        return .failed(DMFailure(step: step, device: device, errno: code,
                                 libraryMessages: capturedLibraryMessages(),
                                 kernelMessages: kernel))
    }

    // MARK: Results

    func info(name: String) -> DMDeviceInfo? {
        var info = dm_info()
        guard dm_task_get_info(handle, &info) != 0, info.exists != 0 else { return nil }
        let uuid = dm_task_get_uuid(handle).map { String(cString: $0) } ?? ""
        let liveName = dm_task_get_name(handle).map { String(cString: $0) } ?? name
        return DMDeviceInfo(
            name: liveName.isEmpty ? name : liveName, uuid: uuid,
            number: DeviceNumber(major: info.major, minor: info.minor),
            openCount: Int(info.open_count), readOnly: info.read_only != 0,
            suspended: info.suspended != 0, hasLiveTable: info.live_table != 0)
    }

    /// DM_DEVICE_TABLE / DM_DEVICE_STATUS lines.
    func targets() -> [DMTargetStatus] {
        var result: [DMTargetStatus] = []
        var next: UnsafeMutableRawPointer? = nil
        repeat {
            var start: UInt64 = 0
            var length: UInt64 = 0
            var type: UnsafeMutablePointer<CChar>? = nil
            var params: UnsafeMutablePointer<CChar>? = nil
            next = dm_get_next_target(handle, next, &start, &length, &type, &params)
            if let type {
                result.append(DMTargetStatus(start: start, length: length, type: String(cString: type),
                                             status: params.map { String(cString: $0) } ?? ""))
            }
        } while next != nil
        return result
    }

    /// DM_DEVICE_LIST names.
    func names() -> [String] {
        guard let first = dm_task_get_names(handle), first.pointee.dev != 0 else { return [] }
        var names: [String] = []
        var raw = UnsafeRawPointer(first)
        while true {
            let entry = raw.assumingMemoryBound(to: dm_names.self)
            // struct dm_names { uint64_t dev; uint32_t next; char name[]; }:
            // the name starts right after `next`, at byte 12.
            names.append(String(cString: (raw + 12).assumingMemoryBound(to: CChar.self)))
            let next = entry.pointee.next
            if next == 0 { break }
            raw += Int(next)
        }
        return names
    }

    /// DM_DEVICE_DEPS device numbers.
    func dependencies() -> [DeviceNumber] {
        guard let deps = dm_task_get_deps(handle) else { return [] }
        let count = Int(deps.pointee.count)
        // struct dm_deps { uint32_t count; uint32_t filler; uint64_t device[]; }
        let devices = (UnsafeRawPointer(deps) + 8).assumingMemoryBound(to: UInt64.self)
        return (0..<count).map { DeviceNumber(encoded: devices[$0]) }
    }
}

func capturedLibraryMessages() -> [String] {
    // A library that could not be loaded logs nothing: dlerror() says why.
    if let why = dmshim_load_error() { return [String(cString: why)] }
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = buffer.withUnsafeMutableBufferPointer { dmshim_log_copy($0.baseAddress, $0.count) }
    guard n > 0 else { return [] }
    return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        .split(separator: "\n").map(String.init)
}
