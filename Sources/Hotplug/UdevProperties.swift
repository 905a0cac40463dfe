import DMTypes
import LDM

/// `KEY=value` lines for udev's IMPORT{program}. udev splits on the first
/// `=`, strips one pair of surrounding quotes and may substitute `$`/`%`
/// where a value is used later, and a newline starts a new key. So values
/// are restricted to `A-Z a-z 0-9 + - . _ :` (other bytes become `_xHH`, as
/// in device names) and bounded in length; keys are fixed by this code.
public struct UdevProperties: Sendable {
    public private(set) var lines: [String] = []

    /// Longest value printed; longer ones are cut and get `_h<hash>` so
    /// they stay distinct.
    public static let maxValueLength = 128

    public init() {}

    public mutating func set(_ key: String, _ value: String) {
        precondition(key.utf8.allSatisfy { (65...90).contains($0) || (48...57).contains($0) || $0 == UInt8(ascii: "_") })
        lines.append("\(key)=\(Self.escape(Array(value.utf8)))")
    }

    public mutating func set(_ key: String, _ name: LDMName) {
        precondition(key.utf8.allSatisfy { (65...90).contains($0) || (48...57).contains($0) || $0 == UInt8(ascii: "_") })
        lines.append("\(key)=\(Self.escape(name.raw))")
    }

    /// A relative path of components that are each escaped; `/` joins them.
    public mutating func setPath(_ key: String, _ components: [String]) {
        precondition(key.utf8.allSatisfy { (65...90).contains($0) || (48...57).contains($0) || $0 == UInt8(ascii: "_") })
        lines.append("\(key)=" + components.map { Self.escape(Array($0.utf8)) }.joined(separator: "/"))
    }

    public var text: String { lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n" }

    public static func isSafe(_ b: UInt8) -> Bool { LDMName.isDeviceSafe(b) || b == UInt8(ascii: ":") }

    public static func escape(_ raw: [UInt8]) -> String {
        var out = ""
        for b in raw {
            if isSafe(b) { out.unicodeScalars.append(Unicode.Scalar(b)) } else { out += "_x" + hex(b) }
        }
        return bounded(out, maxValueLength)
    }

    /// Cuts `s` (ASCII) to `limit` bytes keeping it unique: prefix + `_h` + 14 hex digits.
    public static func bounded(_ s: String, _ limit: Int) -> String {
        DMNameRules.shortened(s, limit: limit, keep: limit - 16)
    }

    static func hex(_ b: UInt8) -> String {
        let d = Array("0123456789abcdef".utf8)
        return String(decoding: [d[Int(b >> 4)], d[Int(b & 15)]], as: UTF8.self)
    }
}

/// One path component of /dev/ldm/<group>/<volume>: device-safe, never
/// `.`/`..` or hidden, bounded.
public func linkComponent(_ safe: String) -> String {
    var s = safe
    if s.isEmpty { return "_" }
    if s.hasPrefix(".") { s = "_x2e" + s.dropFirst() }
    return UdevProperties.bounded(s, 100)
}
