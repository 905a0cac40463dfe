/// A name read from disk: raw, untrusted bytes (LDM does not promise UTF-8,
/// and a crafted disk can put anything here). Never print `raw`; use
/// `display` for humans and `DeviceName` rules for device-mapper names.
public struct LDMName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let raw: [UInt8]

    public init(_ raw: [UInt8]) { self.raw = raw }
    public init(_ string: String) { self.raw = Array(string.utf8) }

    /// Printable ASCII kept as is; backslash, quotes and every other byte
    /// (control characters, newlines, non-ASCII) shown as `\xHH`. Safe for a
    /// terminal, a log line or JSON.
    public var display: String {
        if raw.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x5C && $0 != 0x22 && $0 != 0x27 }) {
            return String(decoding: raw, as: UTF8.self)
        }
        var out = ""
        for byte in raw {
            if byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\"),
               byte != UInt8(ascii: "\""), byte != UInt8(ascii: "'") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "\\x" + hex2(byte)
            }
        }
        return out
    }

    public var description: String { display }

    /// Only the characters device-mapper, udev and a shell all treat as
    /// plain: `A-Z a-z 0-9 + - .` and `_`. Every other byte becomes `_xHH`
    /// (documented in ldmctl(8)). The mapping is not injective (a name may
    /// contain `_x41` literally), so planners check the results are unique.
    public var deviceSafe: String {
        if raw.allSatisfy(Self.isDeviceSafe) { return String(decoding: raw, as: UTF8.self) }
        var out = ""
        for byte in raw {
            if Self.isDeviceSafe(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "_x" + hex2(byte)
            }
        }
        return out
    }

    public static func isDeviceSafe(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }

    public static func < (a: LDMName, b: LDMName) -> Bool { a.raw.lexicographicallyPrecedes(b.raw) }
}

/// ASCII of one lower-case hex digit.
@inline(__always)
func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
}

func hex2(_ byte: UInt8) -> String {
    String(decoding: [hexDigit(byte >> 4), hexDigit(byte & 0xF)], as: UTF8.self)
}
