/// A small command-line parser. ldmctl parses its own arguments instead of
/// using swift-argument-parser: that library (and the Foundation it pulls
/// in) costs ~3 ms of start-up per run, more than reading ten disks, and
/// the udev helper runs once per disk event.

/// One option or flag a command accepts.
struct OptionSpec {
    enum Kind { case flag, value(String), repeated(String) }
    var long: String
    var short: Character?
    var kind: Kind
    var help: String
}

/// What a command line said, after checking it against the specs.
struct ParsedArguments {
    var flags: Set<String> = []
    var values: [String: [String]] = [:]
    var positional: [String] = []
    /// `-h` or `--help` stood where an option may stand (not after `--`,
    /// not as an option's value).
    var help = false

    func flag(_ name: String) -> Bool { flags.contains(name) }
    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
}

/// A usage error: exit status 2, with the command's usage line.
struct UsageError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

enum ArgumentParserLite {
    static func parse(_ args: [String], _ specs: [OptionSpec]) throws -> ParsedArguments {
        var result = ParsedArguments()
        var i = 0
        func spec(long: String) -> OptionSpec? { specs.first { $0.long == long } }
        func spec(short: Character) -> OptionSpec? { specs.first { $0.short == short } }
        func take(_ s: OptionSpec, inline: String?) throws {
            switch s.kind {
            case .flag:
                if inline != nil { throw UsageError(message: "--\(s.long) takes no value") }
                result.flags.insert(s.long)
            case .value(let meta), .repeated(let meta):
                var v = inline
                if v == nil {
                    i += 1
                    guard i < args.count else { throw UsageError(message: "--\(s.long) needs a value (\(meta))") }
                    v = args[i]
                }
                if case .value = s.kind, result.values[s.long] != nil {
                    throw UsageError(message: "--\(s.long) given twice")
                }
                result.values[s.long, default: []].append(v!)
            }
        }
        while i < args.count {
            let a = args[i]
            if a == "--" {
                result.positional += args[(i + 1)...]
                break
            } else if a.hasPrefix("--") {
                let body = a.dropFirst(2)
                let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                let inline = body.contains("=") ? String(body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[1]) : nil
                if name == "help", inline == nil, spec(long: name) == nil {
                    result.help = true
                    return result
                }
                guard let s = spec(long: name) else { throw UsageError(message: "unknown option --\(LDMNameDisplay.safe(name))") }
                try take(s, inline: inline)
            } else if a.hasPrefix("-"), a.count > 1 {
                for (n, c) in a.dropFirst().enumerated() {
                    if c == "h", spec(short: c) == nil {
                        result.help = true
                        return result
                    }
                    guard let s = spec(short: c) else { throw UsageError(message: "unknown option -\(LDMNameDisplay.safe(String(c)))") }
                    if case .flag = s.kind {
                        try take(s, inline: nil)
                    } else {
                        // -oVALUE or -o VALUE
                        let rest = String(a.dropFirst(2 + n))
                        try take(s, inline: rest.isEmpty ? nil : rest)
                        break
                    }
                }
            } else {
                result.positional.append(a)
            }
            i += 1
        }
        return result
    }
}

import LDM
enum LDMNameDisplay {
    static func safe(_ s: String) -> String { LDMName(s).display }
}
