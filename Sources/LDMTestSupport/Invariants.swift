import LDM
import DMTable

/// What must hold for every input the reader accepts, however crafted: the
/// fuzzer traps on a violation and the property tests fail on one. Checked
/// independently of how the reader and planner work, from the model and the
/// table text alone.
///
/// * every table line maps only sectors of one of its volume's partitions,
///   and so stays inside the member disk's data area;
/// * no two table lines (of any volumes) share a sector of a disk;
/// * sizes add up: a device's targets follow each other from 0, the volume
///   device is as long as the volume, members are long enough, partitions
///   hold the volume;
/// * device names and UUIDs pass `DeviceNames.isSafe`, fit device-mapper's
///   limits and are unique over everything planned;
/// * the model itself: partitions inside present disks' data areas, no two
///   overlapping, regions tile each data area, columns 0..n-1.
///
/// A table line names a disk by its path (escaped where a table line
/// cannot carry it) when the planner had no kernel view of it, else by a
/// device number from `devices`: the disk's own, or one of its kernel
/// partitions, whose start is added to the offset (and whose end the
/// extent must not pass).
public enum TableInvariants {
    public static func check(groups: [DiskGroup], stacks: [VolumeStack],
                             devices: [DevicePath: DiskDevice] = [:]) -> [String] {
        var out: [String] = []
        for g in groups { out += checkModel(g) }

        var owners: [String: (DiskGroup, Volume)] = [:]
        for g in groups {
            for v in g.volumes { owners[DeviceNames.volumeUUID(g, v)] = (g, v) }
        }
        var names: Set<String> = [], uuids: Set<String> = [], stackUUIDs: Set<String> = []
        var mapped: [String: [Mapping]] = [:]
        for s in stacks {
            guard !s.devices.isEmpty else { out.append("stack \(s.volumeName) has no devices"); continue }
            for d in s.devices {
                if !names.insert(d.name).inserted { out.append("device name \(d.name) is used twice") }
                if !uuids.insert(d.uuid).inserted { out.append("device UUID \(d.uuid) is used twice") }
            }
            guard stackUUIDs.insert(s.top.uuid).inserted else { continue }
            guard let (g, v) = owners[s.top.uuid] else {
                out.append("stack \(s.volumeName): top UUID \(s.top.uuid) belongs to no volume")
                continue
            }
            out += checkStack(s, g, v, members(devices), &mapped)
        }
        for (path, list) in mapped {
            let sorted = list.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
            for (a, b) in zip(sorted, sorted.dropFirst()) where a.end > b.start {
                out.append("\(a.what) and \(b.what) share sector \(b.start) of \(path)")
            }
        }
        return out
    }

    /// What a member named by number stands for: the disk (by its
    /// display path, as unnumbered members are named) and where on it.
    struct Member {
        var disk: String
        var start: UInt64
        var size: UInt64?
    }

    static func members(_ devices: [DevicePath: DiskDevice]) -> [String: Member] {
        var out: [String: Member] = [:]
        for (path, d) in devices {
            if let n = d.number { out[n.description] = Member(disk: path.display, start: 0, size: nil) }
            for p in d.partitions { out[p.number.description] = Member(disk: path.display, start: p.start, size: p.size) }
        }
        return out
    }

    struct Mapping {
        var start: UInt64
        var end: UInt64
        var what: String
    }

    static func add(_ a: UInt64, _ b: UInt64) -> UInt64? {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? nil : r
    }

    static func mul(_ a: UInt64, _ b: UInt64) -> UInt64? {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? nil : r
    }

    // MARK: the model

    static func checkModel(_ g: DiskGroup) -> [String] {
        var out: [String] = []
        let gname = g.name.display
        guard g.sectorSize == 512 || g.sectorSize == 4096 else { return ["group \(gname): sector size \(g.sectorSize)"] }
        var diskIDs: Set<UInt64> = []
        for d in g.disks {
            if !diskIDs.insert(d.id).inserted { out.append("group \(gname): disk id \(d.id) twice") }
            guard let loc = d.location else { continue }
            if loc.sectorSize != g.sectorSize { out.append("group \(gname): disk \(d.name.display) has \(loc.sectorSize)-byte sectors") }
            if loc.dataStart == 0 || add(loc.dataStart, loc.dataSize) == nil {
                out.append("group \(gname): disk \(d.name.display) data area \(loc.dataStart)+\(loc.dataSize)")
            }
            // Regions tile the data area.
            var position: UInt64 = 0
            for r in d.regions {
                if r.start != position || r.size == 0 { out.append("group \(gname): disk \(d.name.display) region \(r.start)+\(r.size) at \(position)") }
                position = add(r.start, r.size) ?? UInt64.max
            }
            if position != loc.dataSize { out.append("group \(gname): disk \(d.name.display) regions end at \(position), data area is \(loc.dataSize)") }
        }
        var volumeNames: Set<LDMName> = []
        var extents: [UInt64: [Mapping]] = [:]
        for v in g.volumes {
            let what = "group \(gname) volume \(v.name.display)"
            if !volumeNames.insert(v.name).inserted { out.append("\(what): name twice") }
            if v.size == 0 { out.append("\(what): size 0") }
            for p in v.partitions {
                guard let d = g.disk(id: p.diskID) else { out.append("\(what): partition \(p.name.display) on unknown disk \(p.diskID)"); continue }
                guard p.size > 0, let end = add(p.start, p.size) else {
                    out.append("\(what): partition \(p.name.display) extent \(p.start)+\(p.size)"); continue
                }
                if let loc = d.location, end > loc.dataSize {
                    out.append("\(what): partition \(p.name.display) \(p.start)+\(p.size) is outside the \(loc.dataSize)-sector data area of \(d.name.display)")
                }
                extents[p.diskID, default: []].append(Mapping(start: p.start, end: end, what: "\(what) partition \(p.name.display)"))
            }
            // Every member readable: on a present disk and not marked out of date by Windows.
            let present = v.partitions.allSatisfy { g.disk(id: $0.diskID)?.isPresent == true && $0.outOfDate == nil }
            if present && v.state != .complete { out.append("\(what): every member readable but state \(v.state)") }
            let outOfDate = v.partitions.filter { $0.outOfDate != nil }.count
            if outOfDate > 0 && v.state == .complete { out.append("\(what): \(outOfDate) member(s) out of date but state complete") }
            switch v.type {
            case .simple, .spanned, .mirrored:
                if v.chunkSize != 0 { out.append("\(what): chunk size \(v.chunkSize) on a \(v.type) volume") }
                let comps = v.components.count, parts = v.components.first?.partitions.count ?? 0
                switch v.type {
                case .simple where comps != 1 || parts != 1, .spanned where comps != 1 || parts < 2, .mirrored where comps < 2:
                    out.append("\(what): \(v.type) with \(comps) components, \(parts) partitions")
                default: break
                }
                for c in v.components {
                    var position: UInt64? = 0
                    for p in c.partitions {
                        if p.volumeOffset != position { out.append("\(what): partition \(p.name.display) at volume offset \(p.volumeOffset), expected \(position.map(String.init) ?? "overflow")") }
                        position = position.flatMap { add($0, p.size) }
                    }
                    if let position, position < v.size { out.append("\(what): component \(c.name.display) holds \(position) sectors, volume is \(v.size)") }
                    if position == nil { out.append("\(what): component \(c.name.display) size overflows") }
                }
            case .striped, .raid5:
                guard v.components.count == 1 else { out.append("\(what): \(v.components.count) components"); break }
                let parts = v.components[0].partitions
                if parts.count < (v.type == .raid5 ? 3 : 2) { out.append("\(what): \(parts.count) columns") }
                if parts.map(\.column) != (0..<UInt64(parts.count)).map({ $0 }) { out.append("\(what): columns \(parts.map(\.column))") }
                if v.chunkSize == 0 { out.append("\(what): chunk size 0") }
                let data = UInt64(max(parts.count - (v.type == .raid5 ? 1 : 0), 0))
                if let smallest = parts.map(\.size).min(), let capacity = mul(smallest, data), capacity < v.size {
                    out.append("\(what): \(data) columns of \(smallest) hold \(capacity) sectors, volume is \(v.size)")
                }
            }
        }
        for (disk, list) in extents {
            let sorted = list.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
            for (a, b) in zip(sorted, sorted.dropFirst()) where a.end > b.start {
                out.append("\(a.what) and \(b.what) overlap on disk id \(disk)")
            }
        }
        return out
    }

    // MARK: the tables

    static func checkStack(_ s: VolumeStack, _ g: DiskGroup, _ v: Volume, _ members: [String: Member],
                           _ mapped: inout [String: [Mapping]]) -> [String] {
        var out: [String] = []
        let what = "\(s.groupName)/\(s.volumeName)"
        func bad(_ problem: String) { out.append("\(what): \(problem)") }
        let scale = UInt64(g.sectorSize / 512)
        if s.groupName != g.name.display || s.volumeName != v.name.display { bad("stack is named for another volume") }
        if s.top.name != DeviceNames.volumeName(g, v) { bad("top device is named \(s.top.name)") }

        for d in s.devices {
            if !DeviceNames.isSafe(d.name) || d.name.utf8.count > DMNameRules.maxNameLength { bad("unsafe device name \(LDMName(d.name).display)") }
            if !DeviceNames.isSafe(d.uuid) || d.uuid.utf8.count > DMNameRules.maxUUIDLength || !d.uuid.hasPrefix(s.top.uuid) {
                bad("bad device UUID \(LDMName(d.uuid).display)")
            }
            var position: UInt64 = 0
            for t in d.targets {
                if t.start != position || t.length == 0 { bad("\(d.name): target \(t.start)+\(t.length) at \(position)") }
                position = add(t.start, t.length) ?? 0
            }
            if d.targets.isEmpty { bad("\(d.name) has no targets") }
        }
        guard let size = mul(v.size, scale) else { bad("volume size \(v.size) overflows in 512-byte units"); return out }
        if s.top.length != size { bad("device is \(s.top.length) sectors, volume is \(size)") }

        // Where this volume may map: its partitions on present disks.
        var allowed: [String: [(start: UInt64, end: UInt64, data: (UInt64, UInt64))]] = [:]
        for p in v.partitions {
            guard let loc = g.disk(id: p.diskID)?.location else { continue }
            guard let start = add(loc.dataStart, p.start).flatMap({ mul($0, scale) }),
                  let length = mul(p.size, scale), let end = add(start, length),
                  let dataStart = mul(loc.dataStart, scale),
                  let dataEnd = add(loc.dataStart, loc.dataSize).flatMap({ mul($0, scale) }) else {
                bad("partition \(p.name.display) overflows in 512-byte units"); continue
            }
            allowed[loc.device.display, default: []].append((start, end, (dataStart, dataEnd)))
        }
        func map(_ name: String, _ memberOffset: UInt64, _ length: UInt64, _ label: String) {
            var path = name, offset = memberOffset
            if let m = members[name] {
                if let size = m.size, add(memberOffset, length).map({ $0 > size }) ?? true {
                    bad("\(label): \(memberOffset)+\(length) passes the end of partition \(name) (\(size) sectors)")
                }
                guard let o = add(m.start, memberOffset) else { bad("\(label): \(name) offset overflows"); return }
                (path, offset) = (m.disk, o)
            }
            guard let end = add(offset, length) else { bad("\(label): \(offset)+\(length) overflows"); return }
            guard let spots = allowed[path] else { bad("\(label): maps \(LDMName(path).display), not a present disk of the volume"); return }
            if !spots.contains(where: { $0.data.0 <= offset && end <= $0.data.1 }) {
                bad("\(label): \(LDMName(path).display) \(offset)+\(length) is outside the disk's data area")
            } else if !spots.contains(where: { $0.start <= offset && end <= $0.end }) {
                bad("\(label): \(LDMName(path).display) \(offset)+\(length) is outside the volume's partitions")
            }
            mapped[path, default: []].append(Mapping(start: offset, end: end, what: label))
        }

        let helpers = Dictionary(s.devices.dropLast().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var used: Set<String> = []
        for d in s.devices {
            for t in d.targets {
                let label = "\(d.name) \(t.start)+\(t.length) \(t.type)"
                let f = t.params.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                switch t.type {
                case "linear":
                    guard f.count == 2, let offset = UInt64(f[1]) else { bad("\(label): params \(t.params)"); continue }
                    map(f[0], offset, t.length, label)
                case "striped":
                    guard f.count >= 2, let n = Int(f[0]), let chunk = UInt64(f[1]), n >= 2, f.count == 2 + 2 * n, chunk > 0,
                          let stripe = mul(UInt64(n), chunk), t.length % stripe == 0 else {
                        bad("\(label): params \(t.params)"); continue
                    }
                    if v.type != .striped || n != v.partitions.count || chunk != v.chunkSize &* scale { bad("\(label): \(n) columns of \(chunk) for a \(v.type) volume") }
                    for i in 0..<n {
                        guard let offset = UInt64(f[3 + 2 * i]) else { bad("\(label): params \(t.params)"); continue }
                        map(f[2 + 2 * i], offset, t.length / UInt64(n), "\(label) column \(i)")
                    }
                case "raid":
                    guard d.name == s.top.name, f.count >= 5, let chunk = UInt64(f[2]), f[1] == "2", f[3] == "nosync",
                          let n = Int(f[4]), n >= 2, f.count == 5 + 2 * n else {
                        bad("\(label): params \(t.params)"); continue
                    }
                    let memberSize: UInt64
                    if f[0] == "raid1", v.type == .mirrored, chunk == 0, n == v.components.count {
                        memberSize = t.length
                    } else if f[0] == TablePlanner.raid5Layout, v.type == .raid5, n == v.partitions.count, chunk == v.chunkSize &* scale,
                              chunk > 0, let stripe = mul(UInt64(n - 1), chunk), t.length % stripe == 0 {
                        memberSize = t.length / UInt64(n - 1)
                    } else {
                        bad("\(label): params \(t.params) for a \(v.type) volume"); continue
                    }
                    var missing = 0
                    for i in 0..<n {
                        let (meta, dev) = (f[5 + 2 * i], f[6 + 2 * i])
                        if meta == "-", dev == "-" { missing += 1; continue }
                        let prefix = "/dev/mapper/"
                        guard meta == "-", dev.hasPrefix(prefix), let h = helpers[String(dev.dropFirst(prefix.count))] else {
                            bad("\(label): member \(i) is \(meta) \(LDMName(dev).display)"); continue
                        }
                        if !used.insert(h.name).inserted { bad("\(label): helper \(h.name) used twice") }
                        if h.length < memberSize { bad("\(label): member \(h.name) holds \(h.length) sectors, needs \(memberSize)") }
                    }
                    if missing > (f[0] == "raid1" ? n - 1 : 1) { bad("\(label): \(missing) of \(n) members missing") }
                default:
                    bad("\(label): unknown target type")
                }
            }
        }
        for h in helpers.keys where !used.contains(h) { bad("helper \(h) is not used by the volume device") }
        return out
    }
}

extension VolumePipeline.Result {
    /// `TableInvariants` over what the pipeline produced.
    public var violations: [String] { TableInvariants.check(groups: groups, stacks: stacks) }

    /// The same, for stacks planned with a kernel view of the disks.
    public func violations(devices: [DevicePath: DiskDevice]) -> [String] {
        TableInvariants.check(groups: groups, stacks: stacks, devices: devices)
    }
}
