/// A 128-bit GUID, kept as its canonical lower-case text
/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. LDM stores GUIDs both as ASCII
/// (PRIVHEAD, revision-3 records) and as 16 binary bytes in RFC 4122 order
/// (revision-4 records, volume GUIDs).
public struct GUID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let text: String

    /// Parses ASCII text; nil unless it is exactly a GUID (hex digits and
    /// dashes in 8-4-4-4-12), so untrusted text never becomes a GUID.
    public init?(text bytes: some Collection<UInt8>) {
        guard bytes.count == 36 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, c) in bytes.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard c == UInt8(ascii: "-") else { return nil }
                out.append(c)
                continue
            }
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): out.append(c)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): out.append(c + 0x20)
            default: return nil
            }
        }
        text = String(decoding: out, as: UTF8.self)
    }

    public init?(_ string: String) { self.init(text: Array(string.utf8)) }

    /// 16 bytes in RFC 4122 (big-endian) order.
    public init?(binary bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hexDigit(b >> 4))
            out.append(hexDigit(b & 0xF))
        }
        text = String(decoding: out, as: UTF8.self)
    }

    public var binary: [UInt8] {
        let hex = text.filter { $0 != "-" }
        var out: [UInt8] = []
        var it = hex.makeIterator()
        while let a = it.next(), let b = it.next() {
            out.append(UInt8(String([a, b]), radix: 16)!)
        }
        return out
    }

    public var isZero: Bool { text == "00000000-0000-0000-0000-000000000000" }
    public var description: String { text }
    public static func < (a: GUID, b: GUID) -> Bool { a.text < b.text }
}
