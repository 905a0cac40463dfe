/// What device-mapper accepts in device names and UUIDs, as ldmctl uses
/// them: the one character set and the one way to shorten a name, shared by
/// the planner (which builds names) and the kernel binding (which checks
/// them again before an ioctl).
public enum DMNameRules {
    /// Every device-mapper device ldmctl creates has a UUID starting with
    /// this (the grammar after it: `DeviceNames`).
    public static let ldmUUIDPrefix = "LDM-"
    /// `DM_NAME_LEN` is 128 including the terminating NUL.
    public static let maxNameLength = 127
    /// `DM_UUID_LEN` is 129 including the terminating NUL.
    public static let maxUUIDLength = 128

    /// udev's and libdevmapper's whitelist: `A-Z a-z 0-9 # + - . : = @ _`.
    /// Names from disk use the narrower set of `LDMName.deviceSafe`; the
    /// others (`#:=@`) appear only in what ldmctl writes itself.
    public static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "#"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: ":"), UInt8(ascii: "="), UInt8(ascii: "@"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }

    /// `s` (ASCII) when it has at most `limit` bytes; else its first `keep`
    /// bytes, `_h` and 14 hex digits of a 56-bit FNV-1a hash of all of it,
    /// so a shortened name stays unique and the same from run to run.
    public static func shortened(_ s: String, limit: Int, keep: Int) -> String {
        guard s.utf8.count > limit else { return s }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let digits = String(h >> 8, radix: 16)
        return String(decoding: s.utf8.prefix(keep), as: UTF8.self) + "_h"
            + String(repeating: "0", count: max(0, 14 - digits.count)) + digits
    }
}
