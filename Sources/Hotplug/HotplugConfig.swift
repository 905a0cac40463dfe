#if canImport(Glibc)
import Glibc
#endif

/// The helper's configuration: /etc/ldmctl.conf and the environment.
public enum HotplugConfig {
    public static let defaultDegradedTimeout = 30
    public static let defaultPath = "/etc/ldmctl.conf"

    /// `degraded_timeout = SECONDS` from the config file (`#` comments),
    /// overridden by $LDMCTL_DEGRADED_TIMEOUT.
    public static func degradedTimeout() -> Int {
        if let v = getenv("LDMCTL_DEGRADED_TIMEOUT").map({ String(cString: $0) }), let n = parse(v) { return n }
        let path = getenv("LDMCTL_CONFIG").map { String(cString: $0) } ?? defaultPath
        guard let bytes = readFile(path, limit: 65536) else { return defaultDegradedTimeout }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let body = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let kv = body.split(separator: "=", maxSplits: 1).map { $0.filter { $0 != " " && $0 != "\t" } }
            if kv.count == 2, kv[0] == "degraded_timeout", let n = parse(String(kv[1])) { return n }
        }
        return defaultDegradedTimeout
    }

    public static func parse(_ s: String) -> Int? {
        guard let n = Int(s), n >= 0, n <= 86400 else { return nil }
        return n
    }
}
