import LDM

/// The grammar of LDM device-mapper names and UUIDs, in one place: built
/// here for the planner, parsed and classified here for `status`,
/// `deactivate`, the run state and the udev helper.
///
/// Names follow ldmtool's scheme so existing fstab lines keep working:
/// `ldm_vol_<group>_<volume>` for a volume, `ldm_part_<group>_<partition>`
/// for a helper device (a mirror's or RAID-5's member). Names from disk are
/// made safe with `LDMName.deviceSafe`; a second and later set of cloned
/// disks gets `.clone<k>` after the group name; another group with the same
/// name found at the same time gets `.dup<k>` (GroupAssembler numbers them).
/// Names longer than
/// device-mapper allows are cut and given a hash of the full name
/// (`DMNameRules.shortened`), so they stay unique and stable.
///
/// UUIDs: `LDM-<group GUID>[-clone<k>]-<volume GUID | v<volume id>>` for a
/// volume; its helpers add `-p<partition id>`.
///
/// The udev rules (udev/69-ldmctl.rules) match the same grammar and must
/// change with it: `ENV{DM_UUID}=="LDM-*"` selects LDM devices and
/// `ENV{DM_UUID}=="LDM-*-p[0-9]*"` skips helpers (`isHelperUUID`).
public enum DeviceNames {
    public static let uuidPrefix = DMNameRules.ldmUUIDPrefix
    public static let volumePrefix = "ldm_vol_"
    public static let partitionPrefix = "ldm_part_"
    /// Bytes a name keeps when it is shortened: room for `_h` and 14 hex
    /// digits, and one byte to spare, as names have always been cut.
    static let shortenedKeep = DMNameRules.maxNameLength - 17

    // MARK: building

    public static func groupPart(_ group: DiskGroup) -> String {
        group.name.deviceSafe + (group.sameNameIndex > 0 ? ".dup\(group.sameNameIndex)" : "")
            + (group.cloneIndex > 0 ? ".clone\(group.cloneIndex)" : "")
    }

    public static func volumeName(_ group: DiskGroup, _ volume: Volume) -> String {
        bounded(volumePrefix + "\(groupPart(group))_\(volume.name.deviceSafe)")
    }

    public static func partitionName(_ group: DiskGroup, _ partition: Partition) -> String {
        bounded(partitionPrefix + "\(groupPart(group))_\(partition.name.deviceSafe)")
    }

    public static func volumeUUID(_ group: DiskGroup, _ volume: Volume) -> String {
        "\(uuidPrefix)\(groupID(group))-\(volumeID(volume))"
    }

    /// The group part of a UUID: its GUID, and `-clone<k>` for a clone set.
    public static func groupID(_ group: DiskGroup) -> String {
        group.guid.text + (group.cloneIndex > 0 ? "-clone\(group.cloneIndex)" : "")
    }

    /// The volume part of a UUID: its GUID, or `v<object id>` when it has
    /// none (Windows 2000 disks leave it zero).
    public static func volumeID(_ volume: Volume) -> String {
        volume.guid.flatMap { $0.isZero ? nil : $0.text } ?? "v\(volume.id)"
    }

    /// A helper device's UUID extends its volume's, so `status` can tell
    /// which volume a helper belongs to.
    public static func partitionUUID(_ group: DiskGroup, _ volume: Volume, _ partition: Partition) -> String {
        "\(volumeUUID(group, volume))-p\(partition.id)"
    }

    static func bounded(_ name: String) -> String {
        DMNameRules.shortened(name, limit: DMNameRules.maxNameLength, keep: shortenedKeep)
    }

    /// Last line of defence: what the planner emits must pass this.
    public static func isSafe(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy(DMNameRules.isAllowed)
    }

    // MARK: parsing

    /// A UUID of ours taken apart.
    public struct ParsedUUID: Equatable, Sendable {
        public var group: GUID
        /// 0 for the first set of disks.
        public var clone: Int
        /// A volume GUID's text, or `v<id>`.
        public var volume: String
        /// The partition id of a helper device; nil for the volume device.
        public var helperPartition: UInt64?
    }

    /// nil for anything that is not exactly the grammar above.
    public static func parse(uuid: String) -> ParsedUUID? {
        var u = Substring(uuid)
        guard uuid.utf8.count <= DMNameRules.maxUUIDLength, u.hasPrefix(uuidPrefix) else { return nil }
        u = u.dropFirst(uuidPrefix.count)
        guard let group = GUID(String(u.prefix(36))) else { return nil }
        u = u.dropFirst(36)
        var clone = 0
        if u.hasPrefix("-clone") {
            u = u.dropFirst(6)
            let digits = u.prefix { $0.isASCII && $0.isNumber }
            guard let k = Int(digits), k > 0 else { return nil }
            clone = k
            u = u.dropFirst(digits.count)
        }
        guard u.first == "-" else { return nil }
        u = u.dropFirst()
        var volume: Substring
        if let guid = GUID(String(u.prefix(36))), u.count >= 36 {
            volume = Substring(guid.text)
            u = u.dropFirst(36)
        } else {
            let digits = u.dropFirst().prefix { $0.isASCII && $0.isNumber }
            guard u.first == "v", !digits.isEmpty else { return nil }
            volume = u.prefix(1 + digits.count)
            u = u.dropFirst(1 + digits.count)
        }
        var helper: UInt64?
        if !u.isEmpty {
            guard u.hasPrefix("-p"), let id = UInt64(u.dropFirst(2)), u.dropFirst(2).allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            helper = id
        }
        return ParsedUUID(group: group, clone: clone, volume: String(volume), helperPartition: helper)
    }

    /// A volume device's UUID (not a helper's, not anything else).
    public static func isVolumeUUID(_ uuid: String) -> Bool {
        parse(uuid: uuid).map { $0.helperPartition == nil } ?? false
    }

    /// A helper device's UUID (`...-p<id>`; udev: `LDM-*-p[0-9]*`).
    public static func isHelperUUID(_ uuid: String) -> Bool {
        parse(uuid: uuid)?.helperPartition != nil
    }

    /// The same volume, whatever clone set its group was counted as (a
    /// group read from one disk is never a clone set).
    public static func sameVolume(_ a: String, _ b: String) -> Bool {
        guard var x = parse(uuid: a), var y = parse(uuid: b) else { return false }
        x.clone = 0
        y.clone = 0
        return x == y
    }

    /// Whether an active device (by name and UUID) belongs to the disk
    /// group the user named (by GUID or by device-safe name).
    public static func belongs(name: String, uuid: String, toGroup selector: String) -> Bool {
        parse(uuid: uuid)?.group.text == selector.lowercased()
            || name.hasPrefix(volumePrefix + LDMName(selector).deviceSafe + "_")
    }

    /// Whether an active volume device is the volume the user named: by
    /// its device name, or by its LDM volume name.
    public static func isVolume(named name: String, deviceName: String) -> Bool {
        deviceName == name
            || deviceName.hasPrefix(volumePrefix) && deviceName.hasSuffix("_" + LDMName(name).deviceSafe)
    }
}
