import LDM

/// Device-mapper names and UUIDs for LDM volumes.
///
/// Names follow ldmtool's scheme so existing fstab lines keep working:
/// `ldm_vol_<group>_<volume>` for a volume, `ldm_part_<group>_<partition>`
/// for a helper device. Names from disk are made safe with
/// `LDMName.deviceSafe`; a second and later set of cloned disks gets
/// `.clone<k>` after the group name; another group with the same name
/// found at the same time gets `.dup<k>` (GroupAssembler numbers them).
/// Names longer than device-mapper allows
/// are cut and given a hash of the full name, so they stay unique and stable.
public enum DeviceNames {
    /// DM_NAME_LEN is 128 including the NUL.
    public static let maxNameLength = 127
    /// DM_UUID_LEN is 129 including the NUL.
    public static let maxUUIDLength = 128
    public static let uuidPrefix = "LDM-"

    public static func groupPart(_ group: DiskGroup) -> String {
        group.name.deviceSafe + (group.sameNameIndex > 0 ? ".dup\(group.sameNameIndex)" : "")
            + (group.cloneIndex > 0 ? ".clone\(group.cloneIndex)" : "")
    }

    public static func volumeName(_ group: DiskGroup, _ volume: Volume) -> String {
        bounded("ldm_vol_\(groupPart(group))_\(volume.name.deviceSafe)")
    }

    public static func partitionName(_ group: DiskGroup, _ partition: Partition) -> String {
        bounded("ldm_part_\(groupPart(group))_\(partition.name.deviceSafe)")
    }

    /// `LDM-<group GUID>[-clone<k>]-<volume GUID, or v<object id>>`.
    public static func volumeUUID(_ group: DiskGroup, _ volume: Volume) -> String {
        let clone = group.cloneIndex > 0 ? "-clone\(group.cloneIndex)" : ""
        let id = volume.guid.flatMap { $0.isZero ? nil : $0.text } ?? "v\(volume.id)"
        return "\(uuidPrefix)\(group.guid.text)\(clone)-\(id)"
    }

    /// A helper device's UUID extends its volume's, so `status` can tell
    /// which volume a helper belongs to.
    public static func partitionUUID(_ group: DiskGroup, _ volume: Volume, _ partition: Partition) -> String {
        "\(volumeUUID(group, volume))-p\(partition.id)"
    }

    static func bounded(_ name: String) -> String {
        guard name.utf8.count > maxNameLength else { return name }
        let hash = fnv1a(Array(name.utf8))
        let keep = maxNameLength - 17
        return String(name.prefix(keep)) + "_h" + String(hash, radix: 16).leftPadded(to: 14)
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h >> 8   // 56 bits: 14 hex digits
    }

    /// Last line of defence: what the planner emits must pass this.
    public static func isSafe(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { LDMName.isDeviceSafe($0) || $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "=") }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
