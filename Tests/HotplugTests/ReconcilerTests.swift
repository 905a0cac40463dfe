import DMTable
@testable import Hotplug
import LDM
import LDMWriter
import XCTest

/// The reconciler run against an in-memory /run/ldmctl and kernel, with
/// the executor's effects modelled: records written, volumes created,
/// units and timers started and stopped, the clock moved by the test.
struct HotplugModel {
    let reconciler = Reconciler(degradedTimeout: 30)
    var records: [DeviceNumber: RecordedDisk] = [:]
    var volumes: [String: VolumeInfo] = [:]
    var timers: [GUID: TimerRecord] = [:]
    /// Live volumes: DM UUID -> name.
    var live: [String: String] = [:]
    var now = 1000
    /// Started `ldmctl udev activate` units that have not run yet.
    var units: [(uuid: String, degraded: Bool)] = []
    /// Started timers (systemd's or a sleeper): group -> when it fires.
    var running: [GUID: Int] = [:]
    /// Per volume: how often it was created, and whether degraded.
    var created: [String: Int] = [:]
    var createdDegraded: Set<String> = []
    var takenDown: [String: Int] = [:]
    var timerStarts = 0
    var log: [String] = []

    func snapshot(_ guid: GUID) -> GroupSnapshot {
        let prefix = "LDM-\(guid.text)-"
        return GroupSnapshot(guid: guid, disks: records.values.filter { $0.groupGUID == guid }.sorted { $0.number < $1.number },
                             volumes: volumes.filter { $0.key.hasPrefix(prefix) }, timer: timers[guid],
                             live: live.filter { $0.key.hasPrefix(prefix) }, now: now)
    }

    mutating func add(_ r: RecordedDisk) {
        let previous = records[r.number]
        if Reconciler.isUnchanged(previous, r) { return }
        records[r.number] = r
        if let previous, previous.groupGUID != r.groupGUID {
            perform(reconciler.left(snapshot(previous.groupGUID), lost: previous), snapshot(previous.groupGUID))
        }
        perform(reconciler.arrived(snapshot(r.groupGUID)), snapshot(r.groupGUID))
    }

    mutating func remove(_ n: DeviceNumber) {
        guard let r = records.removeValue(forKey: n) else { return }
        perform(reconciler.left(snapshot(r.groupGUID), lost: r), snapshot(r.groupGUID))
    }

    /// A timer of `guid` fires now (whether or not one was started).
    mutating func fire(_ guid: GUID) {
        running[guid] = nil
        perform(reconciler.timerFired(snapshot(guid)), snapshot(guid))
    }

    /// Timers whose time has come fire.
    mutating func fireDue() {
        for (guid, at) in running.sorted(by: { $0.key < $1.key }) where at <= now { fire(guid) }
    }

    mutating func runUnits() {
        while !units.isEmpty {
            let u = units.removeFirst()
            guard let info = volumes[u.uuid] else { continue }   // `udev activate` fails: no queued volume
            perform(reconciler.queuedRuns(snapshot(info.groupGUID), uuid: u.uuid, degraded: u.degraded), snapshot(info.groupGUID))
        }
    }

    var droppedMembers: [String: Int] = [:]

    mutating func perform(_ actions: [HotplugAction], _ s: GroupSnapshot) {
        for a in actions {
            switch a {
            case .log(let m): log.append(m)
            case .saveVolume(let v): volumes[v.uuid] = v
            case .removeVolume(let uuid): volumes[uuid] = nil
            case .saveTimer(let t): timers[t.group] = t
            case .removeTimer(let g): timers[g] = nil
            case let .dropLostMember(uuid, _, _, lostDisk, _):
                // The volume stays live, its table without the member.
                XCTAssertNotNil(live[uuid], "dropped a member of a volume that is not live")
                XCTAssertTrue(volumes[uuid]?.lostDisks.contains { $0.contains(lostDisk.text) } == true, "lost disk not recorded first")
                droppedMembers[uuid, default: 0] += 1
            case let .takeDown(uuid, _, _, _, _):
                XCTAssertNotNil(live[uuid], "took down a volume that is not live")
                live[uuid] = nil
                volumes[uuid] = nil
                takenDown[uuid, default: 0] += 1
            case let .activate(uuid, degraded):
                // prepare + apply, succeeding: created, recorded active.
                let groups = reconciler.assemble(s).groups
                guard let (g, v) = groups.lazy.compactMap({ g in g.volumes.first { DeviceNames.volumeUUID(g, $0) == uuid }.map { (g, $0) } }).first else {
                    volumes[uuid] = nil
                    continue
                }
                if live[uuid] == nil {
                    live[uuid] = DeviceNames.volumeName(g, v)
                    created[uuid, default: 0] += 1
                    if degraded { createdDegraded.insert(uuid) }
                }
                volumes[uuid] = Reconciler.volumeInfo(g, v, state: .active, degraded: degraded)
            case let .startActivation(_, uuid, degraded): units.append((uuid, degraded))
            case let .startTimer(g, seconds):
                running[g] = now + seconds
                timerStarts += 1
            case .stopTimer(let g): running[g] = nil
            }
        }
        // A unit is started only for a volume recorded as queued first, so
        // that the next event does not queue it again.
        for (i, a) in actions.enumerated() {
            guard case let .startActivation(_, uuid, _) = a else { continue }
            XCTAssertTrue(actions[..<i].contains { if case let .saveVolume(v) = $0 { v.uuid == uuid && v.state == .queued } else { false } })
        }
    }
}

extension SplitMix64 {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func shuffled<T>(_ a: [T]) -> [T] {
        var a = a
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
        return a
    }
}

func permutations<T>(_ a: [T]) -> [[T]] {
    guard a.count > 1 else { return [a] }
    return a.indices.flatMap { i -> [[T]] in
        var rest = a
        let x = rest.remove(at: i)
        return permutations(rest).map { [x] + $0 }
    }
}

final class ReconcilerTests: XCTestCase {
    /// Records of the sample set: an MBR group of five disks with a simple,
    /// spanned, striped, mirrored and RAID-5 volume, and a GPT group of two.
    static let sample: [RecordedDisk] = {
        var records: [RecordedDisk] = []
        for (i, image) in try! ImageWriter.write(SampleSpecs.standard()).enumerated() {
            let source = RecordingSectorSource(NamedImage(image: image, name: "/dev/test\(i)"))
            let m = try! DiskMetadata.read(from: source)
            records.append(RecordedDisk(number: DeviceNumber(major: 7, minor: UInt32(i)), device: "/dev/test\(i)",
                                        sectorSize: source.sectorSize, byteCount: source.byteCount,
                                        groupGUID: m.privateHeader.groupGUID, diskGUID: m.privateHeader.diskGUID,
                                        bytesRead: source.bytesRead, partitions: Hotplug.partitionRoles(m),
                                        extents: source.extents))
        }
        return records
    }()

    var mbr: [RecordedDisk] { Array(Self.sample.prefix(5)) }
    var gpt: [RecordedDisk] { Array(Self.sample.suffix(2)) }
    var mbrGUID: GUID { mbr[0].groupGUID }

    /// The volume UUIDs of the given disks' groups when all are present.
    func allVolumes(_ disks: [RecordedDisk]) -> Set<String> {
        var m = HotplugModel()
        for d in disks { m.records[d.number] = d }
        var out: Set<String> = []
        for guid in Set(disks.map(\.groupGUID)) {
            for g in m.reconciler.assemble(m.snapshot(guid)).groups { for v in g.volumes { out.insert(DeviceNames.volumeUUID(g, v)) } }
        }
        return out
    }

    func assertSettledComplete(_ m: HotplugModel, _ disks: [RecordedDisk], _ context: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        let all = allVolumes(disks)
        XCTAssertEqual(Set(m.live.keys), all, context, file: file, line: line)
        XCTAssertEqual(Set(m.volumes.keys), all, context, file: file, line: line)
        XCTAssertTrue(m.volumes.values.allSatisfy { $0.state == .active }, context, file: file, line: line)
        XCTAssertTrue(m.created.values.allSatisfy { $0 == 1 }, "a volume created twice: \(m.created) \(context)", file: file, line: line)
        XCTAssertTrue(m.timers.isEmpty, "timer record left: \(context)", file: file, line: line)
        XCTAssertTrue(m.running.isEmpty, "timer still running after the last member arrived: \(context)", file: file, line: line)
        XCTAssertTrue(m.units.isEmpty, context, file: file, line: line)
    }

    /// Every order of the five disks of the spanned + mirror + RAID-5
    /// group arriving, with the queued units running at once or only at
    /// the end: every volume is created once, not degraded, and the
    /// degraded-start timer is gone.
    func testEveryArrivalOrderEndsComplete() {
        let all = permutations(mbr)
        XCTAssertEqual(all.count, 120)
        for (k, order) in all.enumerated() {
            var m = HotplugModel()
            for d in order {
                m.add(d)
                if k % 2 == 0 { m.runUnits() }
            }
            m.runUnits()
            let context = "order \(order.map(\.number.minor))"
            assertSettledComplete(m, mbr, context)
            XCTAssertTrue(m.createdDegraded.isEmpty, context)
            XCTAssertLessThanOrEqual(m.timerStarts, 1, "timer armed again while armed: \(context)")
        }
    }

    /// Change events repeat (loop devices send several per attach), disks
    /// of two groups interleave, units run at random moments and time
    /// passes, less than the degraded timeout: the same end state.
    func testDuplicatesAndInterleavingsEndTheSame() {
        for seed in UInt64(1)...40 {
            var rng = SplitMix64(seed: seed)
            let events = rng.shuffled(Self.sample + Self.sample + rng.shuffled(mbr).prefix(2))
            var m = HotplugModel()
            for d in events {
                m.add(d)
                m.now += rng.below(3)
                if rng.below(3) == 0 { m.runUnits() }
            }
            m.runUnits()
            m.fireDue()
            assertSettledComplete(m, Self.sample, "seed \(seed)")
            XCTAssertTrue(m.createdDegraded.isEmpty, "seed \(seed)")
        }
    }

    /// With Disk5 missing, the mirror and the RAID-5 wait; whatever the
    /// order of the other four, the timer is armed once. Firing early does
    /// nothing; on time or late, the same volumes start degraded; Disk5's
    /// return afterwards is reported, and nothing is created again.
    func testDegradedStartDoesNotDependOnOrderOrLateness() throws {
        let present = Array(mbr.prefix(4)), late = mbr[4]
        var outcomes: Set<[String]> = []
        for (k, order) in permutations(present).enumerated() {
            var m = HotplugModel()
            for d in order { m.add(d); m.now += 1 }
            m.runUnits()
            XCTAssertEqual(m.timerStarts, 1)
            let deadline = try XCTUnwrap(m.timers[mbrGUID]).deadline
            // An older timer firing before this deadline: nothing happens.
            m.now = deadline - 10
            let before = m.live
            m.fire(mbrGUID)
            XCTAssertEqual(m.live, before)
            XCTAssertNotNil(m.timers[mbrGUID], "early firing must not disarm")
            // On time, or much later.
            m.now = deadline + [0, 1, 500][k % 3]
            m.fire(mbrGUID)
            XCTAssertNil(m.timers[mbrGUID])
            outcomes.insert(m.createdDegraded.sorted())
            // Fired twice (a sleeper and a systemd timer): nothing more.
            let created = m.created
            m.fire(mbrGUID)
            XCTAssertEqual(m.created, created)
            m.add(late)
            m.runUnits()
            XCTAssertEqual(m.created, created, "the late disk is not used")
            XCTAssertEqual(m.log.filter { $0.contains("the late disk is NOT used") }.count, 2)
            XCTAssertTrue(m.volumes.values.allSatisfy { $0.lateMemberNoted || !$0.degraded })
        }
        XCTAssertEqual(outcomes.count, 1, "degraded volumes differ by order: \(outcomes)")
        XCTAssertEqual(outcomes.first?.count, 2, "mirror and RAID-5")
    }

    /// The timer fires only after the last member arrived (its stop came
    /// too late): nothing is started degraded.
    func testTimerAfterCompletionDoesNothing() {
        var m = HotplugModel()
        for d in mbr.dropLast() { m.add(d) }
        XCTAssertNotNil(m.running[mbrGUID])
        m.add(mbr[4])
        XCTAssertNil(m.running[mbrGUID], "stopped when the last member arrived")
        m.now += 100
        m.fire(mbrGUID)
        m.runUnits()
        assertSettledComplete(m, mbr, "late timer")
        XCTAssertTrue(m.createdDegraded.isEmpty)
    }

    /// A timer record long past its deadline (its process was killed) is
    /// armed again by the next event, and the dead timer's late firing
    /// does not start the group early.
    func testStaleTimerIsArmedAgain() throws {
        var m = HotplugModel()
        m.add(mbr[3])
        let first = try XCTUnwrap(m.timers[mbrGUID])
        m.running = [:]   // the timer's process died
        m.now = first.deadline + Reconciler.staleTimer + 1
        m.add(mbr[2])
        let second = try XCTUnwrap(m.timers[mbrGUID])
        XCTAssertGreaterThan(second.deadline, first.deadline)
        XCTAssertEqual(m.timerStarts, 2)
    }

    /// Every order of the five disks leaving, after all were active: each
    /// volume is taken down once, the degraded ones stay until they cannot
    /// run, and nothing is left.
    func testEveryRemovalOrderTakesEverythingDown() {
        for order in permutations(mbr) {
            var m = HotplugModel()
            for d in mbr { m.add(d) }
            m.runUnits()
            let context = "order \(order.map(\.number.minor))"
            for d in order { m.remove(d.number) }
            XCTAssertTrue(m.live.isEmpty, context)
            XCTAssertTrue(m.volumes.isEmpty, context)
            XCTAssertTrue(m.takenDown.values.allSatisfy { $0 == 1 }, context)
            XCTAssertEqual(Set(m.takenDown.keys), allVolumes(mbr), context)
            XCTAssertTrue(m.timers.isEmpty, context)
        }
    }

    /// Disks leave and come back in random walks: at every quiet point the
    /// live volumes are exactly those whose disks are all present, or that
    /// still run degraded; after the last return and the units, all run.
    func testRandomWalksOfArrivalAndLoss() {
        for seed in UInt64(1)...25 {
            var rng = SplitMix64(seed: seed)
            var m = HotplugModel()
            var present: Set<DeviceNumber> = []
            for _ in 0..<30 {
                let d = mbr[rng.below(5)]
                if present.contains(d.number), rng.below(2) == 0 {
                    m.remove(d.number); present.remove(d.number)
                } else {
                    m.add(d); present.insert(d.number)
                }
                if rng.below(2) == 0 { m.runUnits() }
                m.now += rng.below(20)
                m.fireDue()
                // No volume runs that has lost a disk it cannot do without.
                for uuid in m.live.keys {
                    let groups = m.reconciler.assemble(m.snapshot(mbrGUID)).groups
                    let v = groups.flatMap { g in g.volumes.filter { DeviceNames.volumeUUID(g, $0) == uuid } }.first
                    XCTAssertNotNil(v, "seed \(seed): \(uuid) runs with no disk")
                    XCTAssertNotEqual(v?.state, .incomplete, "seed \(seed): \(uuid) runs incomplete")
                }
            }
            for d in mbr { m.add(d) }
            m.runUnits()
            m.fireDue()
            XCTAssertEqual(Set(m.live.keys), allVolumes(mbr), "seed \(seed)")
            XCTAssertTrue(m.timers.isEmpty && m.running.isEmpty, "seed \(seed)")
        }
    }

    /// The MBR group's records after create-volume and delete-volume: the
    /// same disks, a later configuration with Simple gone and Volume6 (a
    /// simple volume on Disk1) new.
    static let changed: [RecordedDisk] = {
        var spec = SampleSpecs.standard()
        spec.groups.removeLast()
        spec.groups[0].sequence += 2
        spec.groups[0].volumes.removeFirst()
        spec.groups[0].volumes.append(.init(name: "Volume6", kind: .simple, sizeBytes: 4 * ImageSpec.MiB, disks: ["Disk1"]))
        return try! ImageWriter.write(spec).enumerated().map { i, image in
            let source = RecordingSectorSource(NamedImage(image: image, name: "/dev/test\(i)"))
            let m = try! DiskMetadata.read(from: source)
            return RecordedDisk(number: DeviceNumber(major: 7, minor: UInt32(i)), device: "/dev/test\(i)",
                                sectorSize: source.sectorSize, byteCount: source.byteCount,
                                groupGUID: m.privateHeader.groupGUID, diskGUID: m.privateHeader.diskGUID,
                                bytesRead: source.bytesRead, partitions: Hotplug.partitionRoles(m), extents: source.extents)
        }
    }()

    /// A `change` event on each member disk after its database changed
    /// (udev sends one when a writer closes the disk): the disk is read
    /// again, the volume created is activated once, the volumes that ran
    /// keep running untouched, and the record of the deleted volume (the
    /// user deactivated it first) is dropped, whichever disk changes first.
    func testChangeEventsSeeVolumesCreatedAndDeleted() {
        let names = { (m: HotplugModel, records: [RecordedDisk]) -> [String: String] in
            var out: [String: String] = [:]
            var model = m
            for r in records { model.records[r.number] = r }
            for g in model.reconciler.assemble(model.snapshot(self.mbrGUID)).groups {
                for v in g.volumes { out[v.name.display] = DeviceNames.volumeUUID(g, v) }
            }
            return out
        }
        for order in permutations(Array(0..<5)) {
            var m = HotplugModel()
            for d in mbr { m.add(d) }
            m.runUnits()
            let before = names(m, mbr), after = names(HotplugModel(), Self.changed)
            XCTAssertEqual(Set(m.live.keys), Set(before.values))
            let simple = before["Simple"]!, created = after["Volume6"]!
            // deactivate by hand: the device goes, its record stays.
            m.live[simple] = nil
            for i in order { m.add(Self.changed[i]) }
            m.runUnits()
            let context = "order \(order)"
            XCTAssertEqual(Set(m.live.keys), Set(after.values), context)
            XCTAssertEqual(Set(m.volumes.keys), Set(after.values), "records: \(context)")
            XCTAssertEqual(m.created[created], 1, context)
            XCTAssertTrue(m.created.values.allSatisfy { $0 == 1 }, "a volume created twice: \(m.created) \(context)")
            XCTAssertTrue(m.takenDown.isEmpty, context)
            XCTAssertTrue(m.log.contains { $0.contains("Simple") && $0.contains("no longer in the configuration") }, "\(m.log) \(context)")
        }
    }

    /// Records, volume files and timer files share one format, and a
    /// record of one kind is not read as another.
    func testOneRecordFormat() throws {
        let disk = mbr[0].encoded()
        let info = VolumeInfo(uuid: "LDM-x", dmName: "n", groupGUID: mbrGUID, group: "G", volume: "V", type: "raid5",
                              driveHint: "", state: .active, degraded: false, lateMemberNoted: false).encoded()
        let timer = try XCTUnwrap(TimerRecord(group: mbrGUID, deadline: 42, sleeper: 7).record().encoded())
        for bytes in [disk, info, timer] {
            XCTAssertTrue(bytes.starts(with: Array("LDMCTL-RECORD 1 ".utf8)))
        }
        XCTAssertNil(VolumeInfo.decode(disk))
        XCTAssertNil(RecordedDisk.decode(info))
        XCTAssertNil(RunRecord.decode(info, kind: "timer"))
        let back = try XCTUnwrap(RunRecord.decode(timer, kind: "timer").flatMap(TimerRecord.init))
        XCTAssertEqual(back, TimerRecord(group: mbrGUID, deadline: 42, sleeper: 7))
        XCTAssertNil(RunRecord(kind: "timer", fields: [("group", "a\nb")]).encoded(), "a newline in a value is refused")
    }
}
