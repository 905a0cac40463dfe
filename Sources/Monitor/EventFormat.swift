#if canImport(Glibc)
import Glibc
#endif
import JSONText
import LDM

/// An event with the time it was seen, and its three renderings. Values
/// stay exact until here; each rendering escapes for where it goes.
public struct TimedEvent: Sendable {
    public var event: MonitorEvent
    /// RFC 3339, UTC, milliseconds: `2026-12-02T01:02:03.456Z`.
    public var time: String

    public init(_ event: MonitorEvent, time: String) {
        self.event = event
        self.time = time
    }

    /// The fields that apply, in the documented order (ldmctl(8),
    /// MONITOR EVENTS): JSON key, environment variable, exact bytes.
    public var fields: [(json: String, env: String, value: [UInt8], isName: Bool)] {
        let e = event
        var out: [(String, String, [UInt8], Bool)] = [
            ("event", "LDM_EVENT", Array(e.kind.rawValue.utf8), false),
            ("time", "LDM_TIME", Array(time.utf8), false),
            ("group", "LDM_GROUP", e.group.raw, true),
            ("groupGuid", "LDM_GROUP_GUID", Array(e.groupGuid.utf8), false),
        ]
        if let v = e.volume { out.append(("volume", "LDM_VOLUME", v.raw, true)) }
        if let v = e.volumeGuid { out.append(("volumeGuid", "LDM_VOLUME_GUID", Array(v.utf8), false)) }
        if let v = e.disk { out.append(("disk", "LDM_DISK", v.raw, true)) }
        if let v = e.device { out.append(("device", "LDM_DEVICE", v.bytes, true)) }
        if let v = e.member { out.append(("member", "LDM_MEMBER", v.raw, true)) }
        if let v = e.health { out.append(("health", "LDM_HEALTH", Array(v.rawValue.utf8), false)) }
        return out
    }

    /// One line for a terminal or the journal: names through
    /// `LDMName.display` (quotes, backslashes, control and non-ASCII bytes
    /// as `\xHH`), so a name cannot forge a second line or field.
    public var text: String {
        var line = "\(time) \(event.kind.rawValue)"
        for f in fields.dropFirst(2) { line += " \(f.json)=\(LDMName(f.value).display)" }
        return line
    }

    /// One JSON object on one line. Names that are valid UTF-8 are given
    /// exactly (JSON-escaped); a name that is not is given in its display
    /// form, since JSON strings cannot hold arbitrary bytes.
    public var json: String {
        var out = "{"
        for (i, f) in fields.enumerated() {
            if i > 0 { out += "," }
            JSON.quote(f.json, into: &out)
            out += ":"
            if let s = String(validating: f.value, as: UTF8.self) {
                JSON.quote(s, into: &out)
            } else {
                JSON.quote(LDMName(f.value).display, into: &out)
            }
        }
        return out + "}"
    }

    /// `NAME=VALUE` entries for the `--exec` program: values are the exact
    /// bytes (environment values hold anything but NUL; a name with a NUL
    /// byte is given in its display form).
    public var environment: [[UInt8]] {
        fields.map { f in
            let value = f.value.contains(0) ? Array(LDMName(f.value).display.utf8) : f.value
            return Array(f.env.utf8) + [UInt8(ascii: "=")] + value
        }
    }

    /// The current time in RFC 3339 (UTC, milliseconds).
    public static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return rfc3339(seconds: Int(ts.tv_sec), milliseconds: Int(ts.tv_nsec / 1_000_000))
    }

    public static func rfc3339(seconds: Int, milliseconds: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ n: Int32, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds), 3))Z"
    }
}
