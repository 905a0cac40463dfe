#if canImport(Glibc)
import Glibc
#endif
import CUdev
import CUdevShim

/// A small view of libudev: the block devices in udev's database, whether
/// udev is running, and a netlink monitor for block device events.
/// libudev is loaded on first use (Sources/CUdevShim), so linking this
/// target costs nothing to commands that never call it.
public enum Udev {
    /// Why libudev cannot be used, or nil.
    public static var loadError: String? {
        udevshim_load_error().map { String(cString: $0) }
    }

    /// Whether udevd is running, as libudev decides it (its control socket
    /// exists) and its database is there to read.
    public static var isRunning: Bool {
        guard loadError == nil, let udev = udev_new() else { return false }
        defer { udev_unref(udev) }
        guard let queue = udev_queue_new(udev) else { return false }
        defer { udev_queue_unref(queue) }
        return udev_queue_get_udev_is_active(queue) != 0 && access("/run/udev/data", F_OK) == 0
    }

    /// Whether udevd has no event in its queue (no device being processed).
    public static var queueIsEmpty: Bool {
        guard loadError == nil, let udev = udev_new() else { return true }
        defer { udev_unref(udev) }
        guard let queue = udev_queue_new(udev) else { return true }
        defer { udev_queue_unref(queue) }
        return udev_queue_get_queue_is_empty(queue) != 0
    }

    /// Every block device (whole disks and partitions) with the udev
    /// properties ldmctl uses; nil when libudev cannot be loaded or udev
    /// is not running (then its database says nothing).
    public static func blockDevices() -> [UdevBlockDevice]? {
        guard isRunning, let udev = udev_new() else { return nil }
        defer { udev_unref(udev) }
        guard let enumerate = udev_enumerate_new(udev) else { return nil }
        defer { udev_enumerate_unref(enumerate) }
        guard udev_enumerate_add_match_subsystem(enumerate, "block") >= 0,
              udev_enumerate_scan_devices(enumerate) >= 0 else { return nil }
        var out: [UdevBlockDevice] = []
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let e = entry {
            if let path = udev_list_entry_get_name(e),
               let device = udev_device_new_from_syspath(udev, path) {
                out.append(UdevBlockDevice(device))
                udev_device_unref(device)
            }
            entry = udev_list_entry_get_next(e)
        }
        return out.sorted { $0.sysname < $1.sysname }
    }
}

/// One block device as udev knows it. Strings are exactly what udev
/// reports (kernel names and udev properties are not escaped here).
public struct UdevBlockDevice: Sendable, Equatable {
    public var sysname: String
    /// /dev path, if the device has a node.
    public var devnode: String?
    /// `disk` or `partition`.
    public var devtype: String
    public var major: UInt32
    public var minor: UInt32
    /// Sectors of 512 bytes (sysfs `size`).
    public var size: UInt64
    /// Whether udev has processed the device (its rules have run).
    public var initialized: Bool
    /// The properties ldmctl reads: SYSTEMD_READY, DM_UUID, ID_PART_TABLE_TYPE,
    /// ID_PART_ENTRY_TYPE, ID_PART_ENTRY_NUMBER, LDM_DISK.
    public var properties: [String: String]

    public static let propertyNames = [
        "SYSTEMD_READY", "DM_UUID", "ID_PART_TABLE_TYPE", "ID_PART_ENTRY_TYPE", "ID_PART_ENTRY_NUMBER", "LDM_DISK",
    ]

    /// udev marks a device not ready (`SYSTEMD_READY=0`) when it must not
    /// be used on its own: a multipath leg, a member of a volume.
    public var ready: Bool { properties["SYSTEMD_READY"] != "0" }

    init(_ device: OpaquePointer) {
        func string(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }
        sysname = string(udev_device_get_sysname(device)) ?? ""
        devnode = string(udev_device_get_devnode(device))
        devtype = string(udev_device_get_devtype(device)) ?? ""
        let number = udev_device_get_devnum(device)
        major = gnu_dev_major(number)
        minor = gnu_dev_minor(number)
        size = string(udev_device_get_sysattr_value(device, "size")).flatMap {
            UInt64($0.filter { $0 != "\n" && $0 != " " })
        } ?? 0
        initialized = udev_device_get_is_initialized(device) > 0
        properties = [:]
        for name in Self.propertyNames {
            if let value = string(udev_device_get_property_value(device, name)) { properties[name] = value }
        }
    }
}

/// udev's netlink monitor for block devices. Its fd becomes readable when
/// an event arrives; `receive()` takes one without blocking.
public final class UdevMonitor {
    private let udev: OpaquePointer
    private let monitor: OpaquePointer
    public let fd: Int32

    /// What one event says. Strings exactly as udev reports them.
    public struct Event: Sendable, Equatable {
        public var action: String
        public var sysname: String
        public var devnode: String?
        public var devtype: String
    }

    /// `source` "udev" (events after udevd processed them, the normal
    /// case) or "kernel" (raw uevents, when udevd is not running).
    public init?(source: String) {
        guard Udev.loadError == nil, let udev = udev_new() else { return nil }
        guard let monitor = udev_monitor_new_from_netlink(udev, source) else {
            udev_unref(udev)
            return nil
        }
        // A burst of 16 disks and their partitions must not overflow the
        // socket before we read it.
        _ = udev_monitor_set_receive_buffer_size(monitor, 8 << 20)
        guard udev_monitor_filter_add_match_subsystem_devtype(monitor, "block", nil) >= 0,
              udev_monitor_enable_receiving(monitor) >= 0 else {
            udev_monitor_unref(monitor)
            udev_unref(udev)
            return nil
        }
        self.udev = udev
        self.monitor = monitor
        self.fd = udev_monitor_get_fd(monitor)
    }

    deinit {
        udev_monitor_unref(monitor)
        udev_unref(udev)
    }

    /// The next pending event, or nil when none is waiting (the socket is
    /// non-blocking).
    public func receive() -> Event? {
        guard let device = udev_monitor_receive_device(monitor) else { return nil }
        defer { udev_device_unref(device) }
        func string(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }
        return Event(action: string(udev_device_get_action(device)) ?? "",
                     sysname: string(udev_device_get_sysname(device)) ?? "",
                     devnode: string(udev_device_get_devnode(device)),
                     devtype: string(udev_device_get_devtype(device)) ?? "")
    }
}
