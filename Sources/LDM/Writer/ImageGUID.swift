/// A GUID as the writer needs it: canonical lower-case text (PRIVHEAD and
/// revision-3 records store ASCII), RFC 4122 byte order (revision-4 records,
/// volume GUIDs) and the mixed-endian order GPT uses.
struct ImageGUID: Hashable, Sendable {
    /// 16 bytes in RFC 4122 (text) order.
    let bytes: [UInt8]

    init(bytes: [UInt8]) {
        precondition(bytes.count == 16)
        self.bytes = bytes
    }

    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (either case); nil otherwise.
    init?(_ text: String) {
        let chars = Array(text.utf8)
        guard chars.count == 36 else { return nil }
        var out: [UInt8] = []
        var nibble: UInt8? = nil
        for (i, c) in chars.enumerated() {
            if [8, 13, 18, 23].contains(i) {
                guard c == UInt8(ascii: "-") else { return nil }
                continue
            }
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let hi = nibble {
                out.append(hi << 4 | v)
                nibble = nil
            } else {
                nibble = v
            }
        }
        bytes = out
    }

    /// A version-4-shaped GUID derived from a label, so the same spec always
    /// gives the same images.
    static func derived(_ parts: [String]) -> ImageGUID {
        var rng = SplitMix64(seed: ImageHash.fnv1a(parts))
        var b: [UInt8] = []
        for _ in 0..<2 {
            let v = rng.next()
            for i in 0..<8 { b.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
        }
        b[6] = (b[6] & 0x0F) | 0x40  // version 4
        b[8] = (b[8] & 0x3F) | 0x80  // RFC 4122 variant
        return ImageGUID(bytes: b)
    }

    var text: String {
        let hex = bytes.map { b -> String in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
        }
        return hex[0..<4].joined() + "-" + hex[4..<6].joined() + "-" + hex[6..<8].joined() + "-"
            + hex[8..<10].joined() + "-" + hex[10..<16].joined()
    }

    /// GPT's on-disk order: the first three fields little-endian.
    var mixedEndian: [UInt8] {
        [bytes[3], bytes[2], bytes[1], bytes[0], bytes[5], bytes[4], bytes[7], bytes[6]]
            + Array(bytes[8..<16])
    }
}
