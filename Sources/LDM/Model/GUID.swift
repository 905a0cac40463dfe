/// A 128-bit GUID, kept as its canonical lower-case text
/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. LDM stores GUIDs both as ASCII
/// (PRIVHEAD, revision-3 records) and as 16 binary bytes in RFC 4122 order
/// (revision-4 records, volume GUIDs).
public struct GUID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let text: String

    /// Parses ASCII text; nil unless it is exactly a GUID (hex digits and
    /// dashes in 8-4-4-4-12), so untrusted text never becomes a GUID.
    public init?(text bytes: some Collection<UInt8>) {
        let chars = Array(bytes)
        guard chars.count == 36 else { return nil }
        var out = ""
        for (i, c) in chars.enumerated() {
            if [8, 13, 18, 23].contains(i) {
                guard c == UInt8(ascii: "-") else { return nil }
                out += "-"
                continue
            }
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"):
                out.unicodeScalars.append(Unicode.Scalar(c))
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                out.unicodeScalars.append(Unicode.Scalar(c + 0x20))
            default:
                return nil
            }
        }
        text = out
    }

    public init?(_ string: String) { self.init(text: Array(string.utf8)) }

    /// 16 bytes in RFC 4122 (big-endian) order.
    public init?(binary bytes: some Collection<UInt8>) {
        let b = Array(bytes)
        guard b.count == 16 else { return nil }
        let h = b.map(hex2)
        text = h[0..<4].joined() + "-" + h[4..<6].joined() + "-" + h[6..<8].joined() + "-"
            + h[8..<10].joined() + "-" + h[10..<16].joined()
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

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let g = GUID(s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a GUID"))
        }
        self = g
    }
}
