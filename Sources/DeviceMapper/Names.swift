import DMTypes

/// Last-line checks on what goes into an ioctl. The planner already
/// sanitises names; these refuse anything udev would have to mangle or the
/// kernel would truncate.
public enum DMNames {
    static var maxNameLength: Int { DMNameRules.maxNameLength }
    static var maxUUIDLength: Int { DMNameRules.maxUUIDLength }

    public static func validateName(_ name: String) throws(DeviceMapperError) {
        if let reason = problem(name, limit: maxNameLength) {
            throw .invalidName(name, reason: reason)
        }
        // "." and ".." would name /dev/mapper itself or its parent.
        if name == "." || name == ".." {
            throw .invalidName(name, reason: "reserved name")
        }
    }

    public static func validateUUID(_ uuid: String) throws(DeviceMapperError) {
        if let reason = problem(uuid, limit: maxUUIDLength) {
            throw .invalidUUID(uuid, reason: reason)
        }
    }

    /// Checks the table shape the kernel expects: targets in order, without
    /// gaps, from sector 0; a plain target type; parameters on one line.
    public static func validateTable(_ device: DMDevice) throws(DeviceMapperError) {
        func fail(_ reason: String) -> DeviceMapperError {
            .invalidTable(device: device.name, reason: reason)
        }
        guard !device.targets.isEmpty else { throw fail("no targets") }
        var next: UInt64 = 0
        for (index, target) in device.targets.enumerated() {
            guard target.start == next else {
                throw fail("target \(index) starts at \(target.start), expected \(next)")
            }
            guard target.length > 0 else { throw fail("target \(index) has length 0") }
            let (end, overflow) = target.start.addingReportingOverflow(target.length)
            guard !overflow else { throw fail("target \(index) ends beyond 2^64 sectors") }
            guard !target.type.isEmpty, target.type.utf8.count < 16,
                  target.type.utf8.allSatisfy({ isTargetTypeByte($0) }) else {
                throw fail("target \(index) has an invalid type '\(target.type)'")
            }
            // The kernel takes block devices by number; an image file has none.
            if let image = target.members.first(where: { $0.number == nil }) {
                throw fail("target \(index) names \(image.display), which is not a block device: "
                           + "attach an image with `losetup -f --show -P` and name the loop device")
            }
            guard !target.params.utf8.contains(where: { $0 == 0 || $0 == 10 || $0 == 13 }) else {
                throw fail("target \(index) parameters contain a line break or NUL")
            }
            next = end
        }
    }

    private static func isTargetTypeByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    private static func problem(_ text: String, limit: Int) -> String? {
        let bytes = text.utf8
        if bytes.isEmpty { return "empty" }
        if bytes.count > limit { return "\(bytes.count) bytes, the kernel allows \(limit)" }
        if let bad = bytes.first(where: { !DMNameRules.isAllowed($0) }) {
            return "character 0x\(String(bad, radix: 16)) outside [A-Za-z0-9#+-.:=@_]"
        }
        return nil
    }
}
