/// A JSON value, its pretty printer and the one JSON string escaping of
/// ldmctl: `show --json`, `status --json` and the monitor's event lines,
/// without Foundation (see Sources/ldmctl/CLI/Arguments.swift for why).
public indirect enum JSON {
    case object([(String, JSON)])
    case array([JSON])
    case string(String)
    /// A path: bytes that need not be UTF-8.
    case path([UInt8])
    case number(UInt64)
    case int(Int)
    case bool(Bool)
    case null

    public static func optional(_ s: String?) -> JSON { s.map(JSON.string) ?? .null }
    public static func optional(_ n: UInt64?) -> JSON { n.map(JSON.number) ?? .null }

    public func rendered(indent: Int = 0) -> String {
        var out = ""
        write(to: &out, indent: indent)
        return out
    }

    public func write(to out: inout String, indent: Int) {
        switch self {
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            let pad = String(repeating: " ", count: indent + 2)
            out += "{\n"
            for (i, (k, v)) in members.enumerated() {
                out += pad
                JSON.quote(k, into: &out)
                out += ": "
                v.write(to: &out, indent: indent + 2)
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            let pad = String(repeating: " ", count: indent + 2)
            out += "[\n"
            for (i, v) in items.enumerated() {
                out += pad
                v.write(to: &out, indent: indent + 2)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .string(let s): JSON.quote(s, into: &out)
        case .path(let bytes): JSON.quote(bytes, into: &out)
        case .number(let n): out += String(n)
        case .int(let n): out += String(n)
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        }
    }

    /// A byte string: its UTF-8 as text; each byte that is not part of
    /// valid UTF-8 as the lone surrogate `\udcXX` (the convention of
    /// Python's `surrogateescape`, so `os.fsencode` gives the bytes back).
    public static func quote(_ bytes: [UInt8], into out: inout String) {
        if let s = String(validating: bytes, as: UTF8.self) { return quote(s, into: &out) }
        var scalars = String.UnicodeScalarView()
        var text = ""
        func flush() {
            guard !scalars.isEmpty else { return }
            text += String(scalars)
            scalars = String.UnicodeScalarView()
        }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var position = 0
        var pieces: [(String, [UInt8])] = []   // text, then invalid bytes after it
        loop: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                scalars.append(Unicode.UTF8.decode(encoded))
                position += encoded.count
            case .error(let length):
                flush()
                pieces.append((text, Array(bytes[position..<position + length])))
                text = ""
                position += length
            case .emptyInput:
                break loop
            }
        }
        flush()
        out += "\""
        for (t, bad) in pieces {
            quoteBody(t, into: &out)
            for b in bad { out += "\\udc" + String(b >> 4, radix: 16) + String(b & 0xF, radix: 16) }
        }
        quoteBody(text, into: &out)
        out += "\""
    }

    /// RFC 8259 string escaping. Every control character is escaped, and
    /// so are U+2028 and U+2029 (line breaks to JavaScript and to some
    /// line readers), so one JSON value stays one line.
    public static func quote(_ s: String, into out: inout String) {
        out += "\""
        quoteBody(s, into: &out)
        out += "\""
    }

    static func quoteBody(_ s: String, into out: inout String) {
        // Most strings need no escape: appended whole, not scalar by scalar
        // (which made rendering a fifth of each fuzzer run).
        // Only printable ASCII takes this path: U+2028 and U+2029 are
        // escaped below, and their UTF-8 bytes are all above 0x20.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            out += s
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20 || u.value == 0x7F || u.value == 0x2028 || u.value == 0x2029:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
    }
}
