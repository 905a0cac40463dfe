#if canImport(Glibc)
import Glibc
#endif
import DMTypes
import Udev

extension SystemDisks {
    /// Where the list of disks comes from: udev's database when udevd runs,
    /// else sysfs. `LDMCTL_DISKS_FROM=sysfs` forces sysfs (tests compare
    /// the two; documented in ldmctl(8)).
    static func preferredWholeDisks(announcedOnly: Bool = false) -> [String]? {
        if let from = getenv("LDMCTL_DISKS_FROM"), String(cString: from) == "sysfs" { return nil }
        return udevWholeDisks(announcedOnly: announcedOnly)
    }

    /// Whole disks from udev's database, by the same rules as the sysfs
    /// scan, and skipping disks udev marks not ready (`SYSTEMD_READY=0`:
    /// multipath legs and the like) and ldmctl's own device-mapper devices.
    /// nil when udev is not running or libudev cannot be loaded.
    ///
    /// `announcedOnly` also skips disks udev has no database entry for: not
    /// yet announced (their rules still run) or announced removed (a
    /// `remove` event deletes the entry, even if the kernel still has the
    /// device, as when a remove is synthesised). The monitor looks only at
    /// those: its view then changes exactly with udev's events, in step
    /// with the hotplug helper, which acts on the same events.
    public static func udevWholeDisks(announcedOnly: Bool = false) -> [String]? {
        guard let devices = Udev.blockDevices() else { return nil }
        return devices.filter { d in
            d.devtype == "disk" && d.ready && d.size > 0 && !excludedName(d.sysname)
                && (d.initialized || !announcedOnly)
                && !(d.properties["DM_UUID"]?.hasPrefix(DMNameRules.ldmUUIDPrefix) ?? false)
        }.map { $0.devnode ?? "/dev/\($0.sysname)" }.sorted()
    }

    /// Kernel names never scanned: device-mapper and md devices (stacked on
    /// disks that are scanned themselves), RAM disks, optical drives.
    static func excludedName(_ name: String) -> Bool {
        ["dm-", "md", "ram", "zram", "sr"].contains { name.hasPrefix($0) }
    }
}
