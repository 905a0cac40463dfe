import LDM

/// The one format of every record the helper keeps under /run/ldmctl
/// (disks, volumes, timers):
///
///     LDMCTL-RECORD 1 KIND        first line: format version and kind
///     key value                   one field per line; a key may repeat
///     ...
///                                 an empty line ends the fields
///     BYTES                       optional binary tail (a disk's metadata)
///
/// Values come from validated fields only (GUIDs, numbers, checked device
/// paths, device-safe names), so none holds a newline; `encoded` refuses
/// one anyway rather than write a record that reads back differently.
struct RunRecord {
    var kind: String
    var fields: [(key: String, value: String)] = []
    var tail: [UInt8] = []

    static let magic = "LDMCTL-RECORD 1"
    /// A record larger than this is not ours (a disk's metadata is well under 1 MiB).
    static let maxBytes = 8 << 20
    static let maxLine = 512

    init(kind: String, fields: [(key: String, value: String)] = [], tail: [UInt8] = []) {
        self.kind = kind; self.fields = fields; self.tail = tail
    }

    mutating func add(_ key: String, _ value: String) { fields.append((key, value)) }

    /// The first value of `key`.
    func value(_ key: String) -> String? { fields.first { $0.key == key }?.value }
    func values(_ key: String) -> [String] { fields.filter { $0.key == key }.map(\.value) }

    func encoded() -> [UInt8]? {
        var text = "\(Self.magic) \(kind)\n"
        for (key, value) in fields {
            guard !key.isEmpty, !key.contains(" "), !key.contains("\n"), !value.contains("\n") else { return nil }
            text += "\(key) \(value)\n"
        }
        text += "\n"
        return Array(text.utf8) + tail
    }

    /// nil unless `bytes` is a well-formed record of `kind`.
    static func decode(_ bytes: [UInt8], kind: String) -> RunRecord? {
        guard bytes.count <= maxBytes else { return nil }
        var position = 0
        func line() -> String? {
            guard let end = bytes[position...].firstIndex(of: 0x0A), end - position < maxLine else { return nil }
            let text = String(decoding: bytes[position..<end], as: UTF8.self)
            position = end + 1
            return text
        }
        guard line() == "\(magic) \(kind)" else { return nil }
        var record = RunRecord(kind: kind)
        while true {
            guard let l = line() else { return nil }
            if l.isEmpty { break }
            let kv = l.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2, !kv[0].isEmpty else { return nil }
            record.add(String(kv[0]), String(kv[1]))
        }
        record.tail = Array(bytes[position...])
        return record
    }
}

/// A group's degraded-start timer: armed when a volume of the group could
/// run without a missing disk, removed when the group completes or the
/// timer fires. Stored as timers/GROUP-GUID.
public struct TimerRecord: Equatable, Sendable {
    public var group: GUID
    /// Seconds on the helper's clock (`HotplugClock`) when the volumes
    /// start degraded.
    public var deadline: Int
    /// The sleeping `ldmctl udev last-resort --wait` process, where no
    /// systemd timer could be used; 0 otherwise.
    public var sleeper: Int32

    public init(group: GUID, deadline: Int, sleeper: Int32 = 0) {
        self.group = group; self.deadline = deadline; self.sleeper = sleeper
    }

    static let kind = "timer"

    func record() -> RunRecord {
        RunRecord(kind: Self.kind, fields: [("group", group.text), ("deadline", "\(deadline)"), ("sleeper", "\(sleeper)")])
    }

    init?(_ r: RunRecord) {
        guard let group = r.value("group").flatMap({ GUID($0) }),
              let deadline = r.value("deadline").flatMap({ Int($0) }),
              let sleeper = r.value("sleeper").flatMap({ Int32($0) }), r.tail.isEmpty else { return nil }
        self.init(group: group, deadline: deadline, sleeper: sleeper)
    }
}
