/// Which copy of a group's database the group is built from, when the
/// present disks carry different ones. The rule (docs/FORMAT.md, "Choosing
/// the configuration") in short:
///
/// 1. A disk's copy is its own committed configuration. A disk whose
///    disk-group record names another group than its PRIVHEAD, or that is
///    not listed in the copy it carries, is foreign: refused, not placed.
///    A disk whose copy does not build is still placed where the chosen
///    copy lists it, but its copy is not a candidate.
/// 2. Each distinct copy (sequence and records) is held by the disks that
///    carry it. A present disk that does not hold it contradicts it when
///    the copy does not list the disk, or places other extents on it than
///    the disk's own copy does: a change to a disk's partitions is written
///    to that disk too, so a disk that missed it was not there, and the
///    copy is not to be believed over it.
/// 3. A copy is supported when more disks hold it than contradict it.
///    The supported copy with the highest committed sequence wins; then
///    the one more disks hold; then the smallest content, so the answer
///    does not depend on the order the disks were named or arrived in.
/// 4. Nothing supported: the group is refused, naming the disks.
struct ConfigurationChoice {
    /// One distinct copy and the disks that hold it (in device order).
    struct Copy {
        var holders: [DiskMetadata]
        var configuration: ConfigurationBuilder.Configuration
        var contradictions: [String] = []
        var sequence: UInt64 { holders[0].configurationSequence }
        var records: [VBLKRecord] { holders[0].records }
        var devices: String { holders.map(\.device.display).joined(separator: ", ") }
        var isSupported: Bool { holders.count > contradictions.count }
    }

    var chosen: Copy
    /// Present disks that may be placed (not foreign), in device order.
    var members: [DiskMetadata]
    /// Foreign disks, unusable and outvoted copies: reported, not fatal.
    var problems: [LDMError]
    var notes: [String]

    static func location(_ m: DiskMetadata) -> String {
        "database (committed sequence \(m.configurationSequence))"
    }

    /// `members` all carry one group GUID; none is a copy of another disk.
    init(guid: GUID, members: [DiskMetadata]) throws {
        var problems: [LDMError] = []
        var usable: [DiskMetadata] = []
        var copies: [Copy] = []
        var own: [GUID: ConfigurationBuilder.Configuration] = [:]
        // Disks holding the same copy share one build (usually all do).
        var broken: [(sequence: UInt64, records: [VBLKRecord], error: LDMError)] = []
        for m in members.sorted(by: { $0.device < $1.device }) {
            let location = Self.location(m)
            let sequence = m.configurationSequence
            var config: ConfigurationBuilder.Configuration
            var index = copies.firstIndex { $0.sequence == sequence && Self.sameRecords($0.records, m.records) }
            if let index {
                config = copies[index].configuration
            } else if let known = broken.first(where: { $0.sequence == sequence && Self.sameRecords($0.records, m.records) }) {
                problems.append(LDMError(known.error.kind, device: m.device.display, location: location,
                                         field: known.error.field, known.error.problem))
                usable.append(m)
                continue
            } else {
                do {
                    config = try ConfigurationBuilder(device: m.device.display, location: location).build(m.records)
                } catch let error as LDMError {
                    broken.append((sequence, m.records, error))
                    problems.append(error)
                    usable.append(m)
                    continue
                }
            }
            if let foreign = Self.foreign(m, config, location: location) {
                problems.append(foreign)
                continue
            }
            usable.append(m)
            own[m.privateHeader.diskGUID] = config
            if index == nil {
                copies.append(Copy(holders: [], configuration: config))
                index = copies.count - 1
            }
            copies[index!].holders.append(m)
        }
        guard !copies.isEmpty else {
            throw problems.first ?? LDMError(.invalid, device: members.first?.device.display ?? "?", location: "disk group \(guid)",
                                             "no disk carries a usable configuration")
        }
        for i in copies.indices {
            copies[i].contradictions = Self.contradictions(of: copies[i], disks: usable, own: own)
        }
        let supported = copies.filter(\.isSupported)
        guard let chosen = supported.max(by: Self.ranksBelow) else {
            let why = copies.map { "\($0.devices) (committed sequence \($0.sequence)): \($0.contradictions.joined(separator: "; "))" }
            throw LDMError(.inconsistent, device: copies[0].holders[0].device.display, location: "disk group \(guid)",
                           "the present disks disagree about the group and no configuration is held by more disks than contradict it: "
                           + why.joined(separator: " | "))
        }
        var notes: [String] = []
        let source = "committed sequence \(chosen.sequence) from \(chosen.devices)"
        for c in copies where c.holders[0].device != chosen.holders[0].device {
            if c.sequence > chosen.sequence || (c.sequence == chosen.sequence && !c.isSupported) {
                problems.append(LDMError(.inconsistent, device: c.devices, location: "database (committed sequence \(c.sequence))",
                                         "not used: \(c.contradictions.joined(separator: "; ")); using \(source)"))
            } else if c.sequence == chosen.sequence {
                problems.append(LDMError(.inconsistent, device: c.devices, location: "database (committed sequence \(c.sequence))",
                                         "same committed sequence as \(chosen.devices) but different records; using the copy of \(chosen.devices) (\(Self.tieReason(chosen, c)))"))
            } else {
                notes.append("\(c.devices) holds an older database (committed sequence \(c.sequence)); using \(source)")
            }
        }
        self.chosen = chosen
        self.members = usable
        self.problems = problems
        self.notes = notes
    }

    /// Why `m` cannot belong to the group its PRIVHEAD names, if it cannot.
    static func foreign(_ m: DiskMetadata, _ config: ConfigurationBuilder.Configuration, location: String) -> LDMError? {
        let h = m.privateHeader
        for case .diskGroup(let g) in m.records {
            if let guid = g.guid, guid != h.groupGUID {
                return LDMError(.inconsistent, device: m.device.display, location: location, field: "disk group GUID",
                                "the disk-group record names group \(g.name.display) (\(guid)) but the PRIVHEAD names \(h.groupGUID); refused as a foreign disk")
            }
            if g.name != h.groupName {
                return LDMError(.inconsistent, device: m.device.display, location: location, field: "disk group name",
                                "the disk-group record names group \(g.name.display) but the PRIVHEAD names \(h.groupName.display); refused as a foreign disk")
            }
        }
        guard config.disks.contains(where: { $0.guid == h.diskGUID }) else {
            return LDMError(.inconsistent, device: m.device.display, location: location, field: "disk records",
                            "disk \(h.diskGUID) is not listed in the configuration it carries; refused as a foreign disk")
        }
        return nil
    }

    /// The present disks (other than its holders) that `copy` contradicts.
    static func contradictions(of copy: Copy, disks: [DiskMetadata],
                               own: [GUID: ConfigurationBuilder.Configuration]) -> [String] {
        let holders = Set(copy.holders.map(\.privateHeader.diskGUID))
        var out: [String] = []
        for m in disks where !holders.contains(m.privateHeader.diskGUID) {
            let guid = m.privateHeader.diskGUID
            guard copy.configuration.disks.contains(where: { $0.guid == guid }) else {
                out.append("it leaves out present disk \(guid) (\(m.device))")
                continue
            }
            // A disk without a usable copy of its own cannot say otherwise.
            guard let mine = own[guid] else { continue }
            if extents(on: guid, in: copy.configuration) != extents(on: guid, in: mine) {
                out.append("it places other partitions on present disk \(guid) (\(m.device)) than that disk's own copy")
            }
        }
        return out
    }

    /// The partitions a configuration places on one disk, as (start, size).
    static func extents(on disk: GUID, in config: ConfigurationBuilder.Configuration) -> [[UInt64]] {
        guard let id = config.disks.first(where: { $0.guid == disk })?.id else { return [] }
        return config.volumes.flatMap(\.partitions).filter { $0.diskID == id }.map { [$0.start, $0.size] }.sorted {
            $0.lexicographicallyPrecedes($1)
        }
    }

    /// Sequence, then holders, then content: a total order on copies.
    static func ranksBelow(_ a: Copy, _ b: Copy) -> Bool {
        if a.sequence != b.sequence { return a.sequence < b.sequence }
        if a.holders.count != b.holders.count { return a.holders.count < b.holders.count }
        return contentKey(b).lexicographicallyPrecedes(contentKey(a))
    }

    /// The same records, in any slot order.
    static func sameRecords(_ a: [VBLKRecord], _ b: [VBLKRecord]) -> Bool {
        a == b || (a.count == b.count && a.sorted { $0.id < $1.id } == b.sorted { $0.id < $1.id })
    }

    /// The records in id order as bytes: fixed-width numbers, names and
    /// GUIDs with their length first, so different contents never give one
    /// key. (Printing the records with reflection instead cost the fuzzer a
    /// tenth of every run.)
    static func contentKey(_ c: Copy) -> [UInt8] {
        var key: [UInt8] = []
        func number(_ n: UInt64) { for shift in stride(from: 56, through: 0, by: -8) { key.append(UInt8(truncatingIfNeeded: n >> UInt64(shift))) } }
        func bytes(_ b: [UInt8]) { number(UInt64(b.count)); key += b }
        func name(_ n: LDMName?) { if let n { key.append(1); bytes(n.raw) } else { key.append(0) } }
        func guid(_ g: GUID?) { if let g { key.append(1); bytes(Array(g.text.utf8)) } else { key.append(0) } }
        for record in c.records.sorted(by: { $0.id < $1.id }) {
            switch record {
            case .diskGroup(let r):
                key.append(0); number(r.id); name(r.name); guid(r.guid); number(UInt64(r.revision))
            case .disk(let r):
                key.append(1); number(r.id); name(r.name); guid(r.guid); number(UInt64(r.revision))
            case .volume(let r):
                key.append(2); number(r.id); name(r.name); name(r.typeName); number(UInt64(r.typeCode)); name(r.state)
                number(r.componentCount); number(r.size); number(UInt64(r.partitionType)); guid(r.guid); name(r.driveHint)
            case .component(let r):
                key.append(3); number(r.id); name(r.name); number(UInt64(r.kind.rawValue)); number(r.partitionCount)
                number(r.parentID); number(r.chunkSize); number(r.columns)
            case .partition(let r):
                key.append(4); number(r.id); name(r.name); number(r.start); number(r.volumeOffset); number(r.size)
                number(r.parentID); number(r.diskID); number(r.column)
            }
        }
        return key
    }

    static func tieReason(_ chosen: Copy, _ other: Copy) -> String {
        chosen.holders.count != other.holders.count
            ? "held by more disks" : "the same answer whatever the order of the disks: the smaller content wins"
    }
}
