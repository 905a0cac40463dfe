/// One `ldmctl` subcommand: its help, its options, and what it does.
protocol Command {
    static var name: String { get }
    static var summary: String { get }
    static var usage: String { get }
    static var discussion: String { get }
    static var options: [OptionSpec] { get }
    /// Checks the arguments; throws `UsageError` (exit 2).
    init(_ arguments: ParsedArguments) throws
    /// Throws `Failed` (exit 1) after printing why.
    func run() throws
}

extension Command {
    static var discussion: String { "" }

    static var help: String {
        var s = "usage: \(usage)\n\n\(summary)\n"
        if !discussion.isEmpty { s += "\n\(discussion)\n" }
        let all = options + [OptionSpec(long: "help", short: "h", kind: .flag, help: "Show this help.")]
        s += "\noptions:\n"
        for o in all {
            var left = "  "
            left += o.short.map { "-\($0), " } ?? "    "
            left += "--\(o.long)"
            switch o.kind {
            case .flag: break
            case .value(let m): left += " \(m)"
            case .repeated(let m): left += " \(m)"
            }
            let pad = max(1, 30 - left.count)
            s += left + String(repeating: " ", count: pad) + o.help + "\n"
        }
        return s
    }
}

/// Options every command that reads disks takes.
enum DeviceArguments {
    static let options = [
        OptionSpec(long: "image-sector-size", short: nil, kind: .value("BYTES"),
                   help: "Logical sector size of image files: 512 (default) or 4096."),
    ]

    static func imageSectorSize(_ a: ParsedArguments) throws -> Int {
        guard let v = a.value("image-sector-size") else { return 512 }
        guard let n = Int(v), n == 512 || n == 4096 else {
            throw UsageError(message: "--image-sector-size must be 512 or 4096")
        }
        return n
    }
}
