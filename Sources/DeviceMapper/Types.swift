@_exported import DMTypes

/// What DM_DEVICE_INFO says about a device.
public struct DMDeviceInfo: Sendable, Equatable {
    public var name: String
    /// Empty when the device has no UUID.
    public var uuid: String
    public var number: DeviceNumber
    /// How many times the block device is open: mounts, holders, tools.
    public var openCount: Int
    public var readOnly: Bool
    public var suspended: Bool
    public var hasLiveTable: Bool

    public init(name: String, uuid: String, number: DeviceNumber, openCount: Int = 0,
                readOnly: Bool = false, suspended: Bool = false, hasLiveTable: Bool = true) {
        self.name = name
        self.uuid = uuid
        self.number = number
        self.openCount = openCount
        self.readOnly = readOnly
        self.suspended = suspended
        self.hasLiveTable = hasLiveTable
    }

    /// The kernel's name for the block device, as sysfs `holders` lists it.
    public var kernelName: String { "dm-\(number.minor)" }
}

/// One line of DM_DEVICE_STATUS: the target's range and its status text.
public struct DMTargetStatus: Sendable, Equatable {
    public var start: UInt64
    public var length: UInt64
    public var type: String
    public var status: String

    public init(start: UInt64, length: UInt64, type: String, status: String) {
        self.start = start
        self.length = length
        self.type = type
        self.status = status
    }
}

/// How udev's rules treat a device we create. A volume is a disk like any
/// other. Its helper devices (mirror legs, RAID-5 members) hold the same
/// file system or pieces of it: like lvm2's private layers they get the
/// device-mapper udev flags that keep blkid, the by-uuid/by-label links,
/// systemd and udisks away from them; only their /dev/mapper node is made.
public enum UdevVisibility: Sendable, Equatable {
    case visible
    case `private`

    /// DM_UDEV_DISABLE_SUBSYSTEM_RULES_FLAG | DM_UDEV_DISABLE_DISK_RULES_FLAG
    /// | DM_UDEV_DISABLE_OTHER_RULES_FLAG (libdevmapper.h), as lvm2 sets them.
    public var cookieFlags: UInt16 {
        switch self {
        case .visible: 0
        case .private: 0x0002 | 0x0004 | 0x0008
        }
    }
}

/// One udev transaction: the devices created with it share one udev
/// cookie, and `finish` waits once for udev to have processed them all
/// (instead of one round trip to udev per device). Devices created in it
/// are referred to by number in later tables, so nothing waits for their
/// /dev/mapper nodes.
public final class UdevTransaction {
    public internal(set) var cookie: UInt32 = 0
    /// Events still expected on the cookie.
    public internal(set) var pending = 0
    /// `/dev/mapper/NAME` -> MAJ:MIN of the devices created in it.
    public internal(set) var created: [String: DeviceNumber] = [:]
    public init() {}

    /// Table parameters with this transaction's devices by number.
    public func resolve(_ params: String) -> String {
        guard !created.isEmpty else { return params }
        return params.split(separator: " ", omittingEmptySubsequences: false).map { token in
            created["\(token)"].map(\.description) ?? String(token)
        }.joined(separator: " ")
    }
}

/// The kernel, as Activation needs it. `DeviceMapper` is the real one; tests
/// substitute an in-memory kernel.
public protocol DeviceMapperControl: Sendable {
    /// Creates the device, loads its table and makes it live. On failure
    /// nothing of the device is left behind.
    func create(_ device: DMDevice, readOnly: Bool) throws(DeviceMapperError)
    /// As `create`, with udev's view of the device chosen and, given a
    /// transaction, without waiting for udev (see `finish`).
    func create(_ device: DMDevice, readOnly: Bool, visibility: UdevVisibility,
                transaction: UdevTransaction?) throws(DeviceMapperError)
    /// Waits once for udev to process every device of the transaction.
    func finish(_ transaction: UdevTransaction) throws(DeviceMapperError)
    /// Loads a new table into an existing device and makes it live.
    func reload(_ device: DMDevice, readOnly: Bool) throws(DeviceMapperError)
    /// Removes the device, retrying while something holds it briefly open.
    func remove(name: String) throws(DeviceMapperError)
    /// Removes the device now if nothing has it open, else when its last
    /// user closes it (DM_DEFERRED_REMOVE). True if the removal was deferred.
    func removeDeferred(name: String) throws(DeviceMapperError) -> Bool
    func list() throws(DeviceMapperError) -> [DMDeviceInfo]
    /// nil when no device of that name exists.
    func info(name: String) throws(DeviceMapperError) -> DMDeviceInfo?
    func table(name: String) throws(DeviceMapperError) -> [DMTarget]
    func status(name: String) throws(DeviceMapperError) -> [DMTargetStatus]
    /// The block devices the live table uses.
    func dependencies(name: String) throws(DeviceMapperError) -> [DeviceNumber]
    /// Kernel names (`dm-7`, `md127`) of the block devices stacked on `device`.
    func holders(of device: DeviceNumber) throws(DeviceMapperError) -> [String]
    /// Parameters in the form the kernel prints them back (device paths
    /// replaced by major:minor), for comparing planned and live tables.
    func canonicalParams(_ params: String) -> String
}

extension DeviceMapperControl {
    /// Kernels without deferred removal (test doubles): removed at once.
    public func removeDeferred(name: String) throws(DeviceMapperError) -> Bool {
        try remove(name: name)
        return false
    }

    /// Kernels that know no udev flags or cookies (test doubles): a plain create.
    public func create(_ device: DMDevice, readOnly: Bool, visibility: UdevVisibility,
                       transaction: UdevTransaction?) throws(DeviceMapperError) {
        try create(device, readOnly: readOnly)
    }

    public func finish(_ transaction: UdevTransaction) throws(DeviceMapperError) {}

    /// Whether a planned table is what the kernel already runs: same ranges,
    /// types and (canonicalised) parameters.
    public func tableMatches(planned: [DMTarget], live: [DMTarget]) -> Bool {
        guard planned.count == live.count else { return false }
        return zip(planned, live).allSatisfy { p, l in
            p.start == l.start && p.length == l.length && p.type == l.type
                && canonicalParams(p.params) == canonicalParams(l.params)
        }
    }
}
