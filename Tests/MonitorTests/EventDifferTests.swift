import Testing
import LDM
@testable import Monitor

/// A small world: group "G" with four disks and three volumes; which disks
/// are present decides which volumes are active (as the hotplug helper does).
struct World {
    static let disks = ["D1", "D2", "D3", "D4"]
    static let volumes: [(name: String, disks: [String], redundant: Bool)] = [
        ("Spanned", ["D1", "D2"], false), ("Raid5", ["D1", "D2", "D3"], true), ("Mirror", ["D3", "D4"], true),
    ]

    static func state(present: Set<String>, health: [String: (MonitorHealth, [String], Bool)] = [:]) -> MonitorState {
        if present.isEmpty { return .empty }
        let disks = Self.disks.map {
            DiskState(guid: "guid-\($0)", name: LDMName($0), device: present.contains($0) ? DevicePath("/dev/loop\($0.dropFirst())") : nil)
        }
        let volumes = Self.volumes.map { v -> ObservedVolume in
            let active = v.disks.allSatisfy(present.contains)
            let h = health[v.name] ?? (.ok, [], false)
            return ObservedVolume(guid: "vguid-\(v.name)", name: LDMName(v.name), active: active,
                               health: active ? h.0 : .ok, failedMembers: active ? h.1.map(LDMName.init) : [],
                               resyncing: active && h.2)
        }
        return MonitorState(groups: [GroupState(guid: "gguid", name: LDMName("G"), disks: disks, volumes: volumes)])
    }
}

/// What a consumer of the events knows after reading them all.
struct Folded: Equatable {
    var disks: [String: String] = [:]
    var complete: [String: Bool] = [:]
    var active: Set<String> = []
    var health: [String: MonitorHealth] = [:]
    var failed: [String: Set<LDMName>] = [:]
    var resyncing: Set<String> = []

    mutating func apply(_ e: MonitorEvent) {
        let v = e.volumeGuid ?? ""
        switch e.kind {
        case .diskAdded: disks[e.disk!.display] = e.device!.display
        case .diskRemoved: disks[e.disk!.display] = nil
        case .groupComplete: complete[e.groupGuid] = true
        case .groupIncomplete: complete[e.groupGuid] = false
        case .volumeActivated: active.insert(v); health[v] = e.health; failed[v] = []
        case .volumeDeactivated: active.remove(v); health[v] = nil; failed[v] = nil; resyncing.remove(v)
        case .volumeDegraded: health[v] = .degraded; if let m = e.member { failed[v, default: []].insert(m) }
        case .volumeFailed: health[v] = .failed
        case .volumeRecovered: health[v] = .ok; failed[v] = []
        case .resyncStarted: resyncing.insert(v)
        case .resyncFinished: resyncing.remove(v)
        case .volumeCreated, .volumeDeleted: break   // configuration, not the kernel's view
        }
    }

    /// The knowledge the events should have given about `s`.
    func matches(_ s: MonitorState) -> Bool {
        var want = Folded()
        for g in s.groups {
            for d in g.disks { if let dev = d.device { want.disks[d.name.display] = dev.display } }
            for v in g.volumes where v.active {
                want.active.insert(v.guid)
                want.health[v.guid] = v.health
                if v.resyncing { want.resyncing.insert(v.guid) }
                // Failed members are only named while degraded; a member
                // that comes back while another stays failed is not retracted.
                if v.health == .degraded, !(Set(v.failedMembers).isSubset(of: failed[v.guid] ?? [])) { return false }
            }
            if complete[g.guid] != g.complete { return false }
        }
        return disks == want.disks && active == want.active && resyncing == want.resyncing
            && health.filter { active.contains($0.key) } == want.health
    }
}

func permutations<T>(_ items: [T]) -> [[T]] {
    guard items.count > 1 else { return [items] }
    return items.indices.flatMap { i -> [[T]] in
        var rest = items
        let x = rest.remove(at: i)
        return permutations(rest).map { [x] + $0 }
    }
}

@Suite struct EventDifferTests {
    @Test func noChangeNoEvent() {
        for present in [Set<String>(), ["D1"], ["D1", "D2", "D3"], Set(World.disks)] {
            let s = World.state(present: present, health: ["Raid5": (.degraded, ["D2"], false)])
            #expect(EventDiffer.events(from: s, to: s).isEmpty)
        }
    }

    /// Disks attached one at a time, in every order: one disk-added per
    /// disk, one volume-activated per volume right after the disk that
    /// completes it, group-incomplete first and group-complete last.
    @Test func everyArrivalOrder() {
        for order in permutations(World.disks) {
            var state = MonitorState.empty
            var present = Set<String>()
            var log: [String] = []
            for d in order {
                present.insert(d)
                let next = World.state(present: present)
                let events = EventDiffer.events(from: state, to: next)
                state = next
                log += events.map { "\($0.kind.rawValue) \(($0.disk ?? $0.volume ?? $0.group).display)" }
                #expect(events.first?.kind == .diskAdded && events.first?.disk == LDMName(d), "\(order)")
                for v in World.volumes {
                    let completes = v.disks.contains(d) && v.disks.allSatisfy(present.contains)
                    #expect(events.contains { $0.kind == .volumeActivated && $0.volume == LDMName(v.name) } == completes,
                            "\(order): \(v.name) after \(d)")
                }
            }
            for d in World.disks { #expect(log.filter { $0 == "disk-added \(d)" }.count == 1, "\(order)") }
            for v in World.volumes { #expect(log.filter { $0 == "volume-activated \(v.name)" }.count == 1, "\(order)") }
            #expect(log.filter { $0.hasPrefix("group-") } == ["group-incomplete G", "group-complete G"], "\(order)")
            #expect(log.count == 4 + 3 + 2, "\(order): \(log)")
            // The group is complete after its last disk, before the volumes that disk completes.
            let lastDisk = log.firstIndex(of: "disk-added \(order.last!)")!
            #expect(log[lastDisk + 1] == "group-complete G", "\(order): \(log)")
        }
    }

    /// A monitor started at any point of a burst reports the state at
    /// start, then the rest: what it knows in the end is the final state.
    @Test func startedMidBurst() {
        for order in permutations(World.disks) {
            for start in 0...order.count {
                var f = Folded()
                let mid = World.state(present: Set(order.prefix(start)))
                let end = World.state(present: Set(order))
                for e in EventDiffer.events(from: .empty, to: mid) + EventDiffer.events(from: mid, to: end) { f.apply(e) }
                #expect(f.matches(end), "\(order) started after \(start)")
            }
        }
    }

    /// Random walks through presence, health and resync: folding every
    /// event reported gives the last state, whatever the path.
    @Test func randomWalksFoldToTheLastState() {
        var rng = SplitMix(seed: 0x1D_4C7_1)
        for walk in 0..<400 {
            var state = MonitorState.empty
            var folded = Folded()
            for _ in 0..<12 {
                let present = Set(World.disks.filter { _ in rng.next() % 3 != 0 })
                var health: [String: (MonitorHealth, [String], Bool)] = [:]
                for v in World.volumes where v.redundant {
                    switch rng.next() % 4 {
                    case 0: health[v.name] = (.degraded, [v.disks[Int(rng.next() % UInt64(v.disks.count))]], false)
                    case 1: health[v.name] = (.failed, [], false)
                    case 2: health[v.name] = (.ok, [], true)
                    default: break
                    }
                }
                let next = World.state(present: present, health: health)
                for e in EventDiffer.events(from: state, to: next) { folded.apply(e) }
                state = next
                #expect(folded.matches(state), "walk \(walk)")
            }
        }
    }

    @Test func degradeRecoverResync() {
        let all = Set(World.disks)
        let healthy = World.state(present: all)
        let degraded = World.state(present: all, health: ["Raid5": (.degraded, ["D2"], false)])
        var e = EventDiffer.events(from: healthy, to: degraded)
        #expect(e.map(\.kind) == [.volumeDegraded])
        #expect(e.first?.member == LDMName("D2") && e.first?.volume == LDMName("Raid5") && e.first?.health == .degraded)
        let resyncing = World.state(present: all, health: ["Raid5": (.ok, [], true)])
        e = EventDiffer.events(from: degraded, to: resyncing)
        #expect(e.map(\.kind) == [.volumeRecovered, .resyncStarted])
        e = EventDiffer.events(from: resyncing, to: healthy)
        #expect(e.map(\.kind) == [.resyncFinished])
        let failed = World.state(present: all, health: ["Raid5": (.failed, [], false)])
        #expect(EventDiffer.events(from: degraded, to: failed).map(\.kind) == [.volumeFailed])
        // Already degraded at start: reported in the initial state.
        let initial = EventDiffer.events(from: .empty, to: degraded)
        #expect(initial.contains { $0.kind == .volumeDegraded && $0.member == LDMName("D2") })
        #expect(initial.contains { $0.isProblem })
        #expect(!EventDiffer.events(from: .empty, to: healthy).contains { $0.isProblem })
    }

    /// create-volume and delete-volume (or Windows) change the group's
    /// configuration: the volumes that appear or go are reported by GUID,
    /// before activation events, whatever their names; a group arriving or
    /// leaving reports no volume created or deleted.
    @Test func volumesCreatedAndDeleted() {
        let all = Set(World.disks)
        let before = World.state(present: all)
        var after = before
        // Spanned deleted (inactive by then), a new simple volume created
        // and activated in the same look, Mirror renamed (same GUID).
        after.groups[0].volumes.removeAll { $0.name == LDMName("Spanned") }
        after.groups[0].volumes[1].name = LDMName("Mirror renamed")
        after.groups[0].volumes.append(ObservedVolume(guid: "vguid-New", name: LDMName("Volume4"), active: true))
        var e = EventDiffer.events(from: before, to: after)
        #expect(e.map(\.kind) == [.volumeDeleted, .volumeCreated, .volumeDeactivated, .volumeActivated])
        #expect(e[0].volume == LDMName("Spanned") && e[0].volumeGuid == "vguid-Spanned" && e[0].health == nil)
        #expect(e[1].volume == LDMName("Volume4") && e[1].volumeGuid == "vguid-New" && e[1].health == nil)
        // A volume deleted and another created under its name: both.
        var reused = before
        reused.groups[0].volumes[0].guid = "vguid-Other"
        e = EventDiffer.events(from: before, to: reused)
        #expect(e.filter { $0.kind == .volumeDeleted }.map(\.volumeGuid) == ["vguid-Spanned"])
        #expect(e.filter { $0.kind == .volumeCreated }.map(\.volumeGuid) == ["vguid-Other"])
        // The group arriving or going: no configuration events.
        #expect(!EventDiffer.events(from: .empty, to: before).contains { $0.kind == .volumeCreated })
        #expect(!EventDiffer.events(from: before, to: .empty).contains { $0.kind == .volumeDeleted })
        // Text and JSON name the event, the volume and its GUID.
        let timed = TimedEvent(EventDiffer.events(from: before, to: after)[1], time: "2026-12-02T07:00:00.000Z")
        #expect(timed.text == "2026-12-02T07:00:00.000Z volume-created group=G groupGuid=gguid volume=Volume4 volumeGuid=vguid-New")
        #expect(timed.json == #"{"event":"volume-created","time":"2026-12-02T07:00:00.000Z","group":"G","groupGuid":"gguid","volume":"Volume4","volumeGuid":"vguid-New"}"#)
    }

    /// While a group's disks are written one after another, the disks
    /// disagree and the group cannot be put together for a moment: that
    /// look keeps the group as it was (no disk-removed, no
    /// volume-deactivated), and the next look reports only what changed.
    @Test func anUnreadableGroupIsHeldNotRemoved() {
        let before = World.state(present: Set(World.disks), health: [:])
        let unreadable = MonitorState.empty.holding(["gguid"], from: before)
        #expect(EventDiffer.events(from: before, to: unreadable).isEmpty)
        var after = before
        after.groups[0].volumes.removeFirst()
        #expect(EventDiffer.events(from: unreadable, to: after).map(\.kind) == [.volumeDeleted, .volumeDeactivated])
        // A group none of whose disks was read is gone, as before.
        #expect(MonitorState.empty.holding([], from: before) == .empty)
        #expect(MonitorState.empty.holding(["other"], from: before) == .empty)
        // A group read now is not replaced by its old state.
        #expect(after.holding(["gguid"], from: before) == after)
    }

    @Test func removalOrder() {
        let all = World.state(present: Set(World.disks))
        // D4 goes: its mirror stays active but loses a leg.
        var gone = World.state(present: ["D1", "D2", "D3"])
        gone.groups[0].volumes[2] = ObservedVolume(guid: "vguid-Mirror", name: LDMName("Mirror"), active: true,
                                                health: .degraded, failedMembers: [LDMName("D4")])
        let e = EventDiffer.events(from: all, to: gone)
        #expect(e.map(\.kind) == [.diskRemoved, .groupIncomplete, .volumeDegraded])
        #expect(e[0].disk == LDMName("D4") && e[0].device == DevicePath("/dev/loop4") && e[2].member == LDMName("D4"))
        // Every disk gone: the group was incomplete already, volumes go.
        let empty = EventDiffer.events(from: gone, to: .empty)
        #expect(empty.filter { $0.kind == .diskRemoved }.count == 3)
        #expect(empty.filter { $0.kind == .volumeDeactivated }.count == 3)
        #expect(!empty.contains { $0.kind == .groupIncomplete || $0.kind == .groupComplete })
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
