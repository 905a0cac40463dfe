import Foundation
import XCTest
import LDM
import LDMWriter

/// SplitMix64: small, fast, and the same sequence on every platform, so a
/// seed printed by a failing run reproduces it anywhere.
struct SeededGenerator: RandomNumberGenerator {
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

/// Random layouts the writer accepts: 1-2 groups, 1-5 disks each (MBR and
/// GPT, 512 or 4096 bytes per sector, revision 3 and 4 records, odd data
/// starts), VBLK slots of 64..512 bytes, names up to the slot limits (with
/// spaces, punctuation and non-ASCII), and every volume type, spanned ones
/// in uneven pieces.
enum LayoutGenerator {
    static let MiB = ImageSpec.MiB
    static let alphabet: [String] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789").map(String.init)
        + [" ", "-", "_", ".", "+", "$", "'", "\"", "\\", "/", "=", "`", "é", "Ω", "中", "\u{7F}", "\t"]

    static func name<G: RandomNumberGenerator>(_ prefix: String, maxBytes: Int, using g: inout G) -> String {
        let target = Int.random(in: 0...max(0, maxBytes - prefix.utf8.count), using: &g)
        var s = prefix
        while true {
            let c = alphabet.randomElement(using: &g)!
            if s.utf8.count + c.utf8.count > prefix.utf8.count + target { break }
            s += c
        }
        return s
    }

    static func spec(seed: UInt64) -> ImageSpec {
        var g = SeededGenerator(seed: seed)
        let sectorSize = Bool.random(using: &g) ? 512 : 4096
        let ss = UInt64(sectorSize)
        var groups: [ImageSpec.Group] = []
        for gi in 0..<Int.random(in: 1...2, using: &g) {
            let vblk = [64, 128, 256, 512].randomElement(using: &g)!
            // A record may take 4 slots; keep names well inside that.
            let nameLimit = vblk == 64 ? 60 : 160
            let revision = Bool.random(using: &g) ? 3 : 4
            var group = ImageSpec.Group(
                name: name("G\(gi)", maxBytes: 31, using: &g), recordRevision: revision,
                privheadMinor: Bool.random(using: &g) ? 11 : 12, vblkSize: vblk,
                sequence: UInt64.random(in: 1...(1 << 40), using: &g), disks: [], volumes: [])
            for di in 0..<Int.random(in: 1...5, using: &g) {
                let style: ImageSpec.PartitionStyle = Bool.random(using: &g) ? .mbr : .gpt
                var dataStart: UInt64?
                if style == .mbr, Int.random(in: 0..<4, using: &g) == 0 { dataStart = UInt64.random(in: 7...(sectorSize == 512 ? 3000 : 300), using: &g) }
                group.disks.append(.init(
                    name: name("g\(gi)d\(di)", maxBytes: nameLimit - 4, using: &g),
                    sizeBytes: UInt64.random(in: 8...24, using: &g) * MiB + UInt64.random(in: 0..<16, using: &g) * ss,
                    partitionStyle: style, sectorSize: sectorSize,
                    recordRevision: Bool.random(using: &g) ? 3 : 4, dataStart: dataStart))
            }
            let diskNames = group.disks.map(\.name)
            for vi in 0..<Int.random(in: 0...6, using: &g) {
                let kinds = ImageSpec.VolumeKind.allCases.filter {
                    switch $0 {
                    case .simple: true
                    case .spanned, .striped, .mirrored: diskNames.count >= 2
                    case .raid5: diskNames.count >= 3
                    }
                }
                let kind = kinds.randomElement(using: &g)!
                let n: Int
                switch kind {
                case .simple: n = 1
                case .raid5: n = Int.random(in: 3...diskNames.count, using: &g)
                default: n = Int.random(in: 2...diskNames.count, using: &g)
                }
                let disks = Array(diskNames.shuffled(using: &g).prefix(n))
                let chunk = UInt64(4096) << UInt64.random(in: 0...5, using: &g)
                var size: UInt64
                var spans: [UInt64]?
                switch kind {
                case .simple, .mirrored:
                    size = UInt64.random(in: 1...(3 * MiB / ss), using: &g) * ss
                case .spanned:
                    let pieces = (0..<n).map { _ in UInt64.random(in: 1...(2 * MiB / ss), using: &g) * ss }
                    size = pieces.reduce(0, +)
                    if Bool.random(using: &g) { spans = pieces }
                    else if size / ss < UInt64(n) { size = UInt64(n) * ss }
                case .striped:
                    size = UInt64.random(in: 1...8, using: &g) * chunk * UInt64(n)
                case .raid5:
                    size = UInt64.random(in: 1...8, using: &g) * chunk * UInt64(n - 1)
                }
                var volume = ImageSpec.Volume(
                    name: name("v\(vi)", maxBytes: nameLimit - 4, using: &g), kind: kind, sizeBytes: size,
                    disks: disks, spanBytes: spans, chunkBytes: chunk,
                    driveHint: Bool.random(using: &g) ? "\(Character(UnicodeScalar(UInt8(69 + vi))))" + ":" : nil)
                if Int.random(in: 0..<4, using: &g) == 0 { volume.objectID = UInt64.random(in: 1...(1 << 62), using: &g) }
                // Keep the volume only if it still fits on its disks.
                var attempt = group
                attempt.volumes.append(volume)
                if (try? ImageWriter.plan(ImageSpec(groups: groups + [attempt]))) != nil { group = attempt }
            }
            groups.append(group)
        }
        return ImageSpec(groups: groups)
    }
}

/// Property: for random layouts, what the reader reads from written images
/// is exactly what the writer planned. Seeded and reproducible: a failure
/// names its seed; LDM_PROPERTY_SEED=<seed> LDM_PROPERTY_COUNT=1 reruns it.
final class PropertyRoundTripTests: XCTestCase {
    static var baseSeed: UInt64 {
        ProcessInfo.processInfo.environment["LDM_PROPERTY_SEED"].flatMap { UInt64($0) } ?? 0x5EED_1D4C_0000
    }
    static var count: UInt64 {
        ProcessInfo.processInfo.environment["LDM_PROPERTY_COUNT"].flatMap { UInt64($0) } ?? 300
    }

    func testRandomLayoutsReadBackAsWritten() throws {
        var kinds: [String: Int] = [:]
        for i in 0..<Self.count {
            let seed = Self.baseSeed &+ i
            let spec = LayoutGenerator.spec(seed: seed)
            for g in spec.groups { for v in g.volumes { kinds[v.kind.rawValue, default: 0] += 1 } }
            let failures = roundTripFailures(spec)
            if !failures.isEmpty {
                XCTFail("seed \(seed) (rerun: LDM_PROPERTY_SEED=\(seed) LDM_PROPERTY_COUNT=1):\n" + failures.prefix(20).joined(separator: "\n"))
                return
            }
        }
        // The generator must actually produce every kind of layout.
        XCTAssertEqual(Set(kinds.keys), Set(ImageSpec.VolumeKind.allCases.map(\.rawValue)), "\(kinds)")
    }

    /// The generator is a pure function of the seed.
    func testGeneratorIsReproducible() {
        XCTAssertEqual(LayoutGenerator.spec(seed: 42), LayoutGenerator.spec(seed: 42))
        XCTAssertNotEqual(LayoutGenerator.spec(seed: 42), LayoutGenerator.spec(seed: 43))
    }

    /// The comparison can fail: images read against another layout's plan
    /// (or a plan with one volume a sector short) are reported.
    func testComparisonDetectsADifference() throws {
        let spec = LayoutGenerator.spec(seed: Self.baseSeed)
        let images = try ImageWriter.write(spec)
        XCTAssertEqual(compare(readImages(images), try ImageWriter.plan(spec)), [])
        XCTAssertFalse(compare(readImages(images), try ImageWriter.plan(LayoutGenerator.spec(seed: Self.baseSeed + 1))).isEmpty)
        var shorter = spec
        let g = try XCTUnwrap(shorter.groups.firstIndex { !$0.volumes.isEmpty })
        shorter.groups[g].volumes[0].sizeBytes -= UInt64(shorter.groups[g].disks[0].sectorSize)
        if shorter.groups[g].volumes[0].kind == .spanned { shorter.groups[g].volumes[0].spanBytes = nil }
        if let plans = try? ImageWriter.plan(shorter) {
            XCTAssertFalse(compare(readImages(images), plans).isEmpty)
        }
    }

    /// Everything that differs between the spec's plan and what was read.
    func roundTripFailures(_ spec: ImageSpec) -> [String] {
        let plans: [PlannedGroup], images: [DiskImage]
        do {
            plans = try ImageWriter.plan(spec)
            images = try ImageWriter.write(spec)
        } catch {
            return ["writer refused a generated spec: \(error)"]
        }
        return compare(readImages(images), plans)
    }

    func compare(_ r: ReadResult, _ plans: [PlannedGroup]) -> [String] {
        var out: [String] = []
        func expect<T: Equatable>(_ a: T, _ b: T, _ what: @autoclosure () -> String) {
            if a != b { out.append("\(what()): read \(a), planned \(b)") }
        }
        expect(r.errors.map(\.description), [], "errors")
        expect(r.groups.count, plans.count, "group count")
        for plan in plans {
            guard let g = r.groups.first(where: { $0.guid.text == plan.guid }) else { out.append("group \(plan.name) not read"); continue }
            let gn = plan.name
            expect(g.name.raw, Array(plan.name.utf8), "\(gn): name")
            expect(g.cloneIndex, 0, "\(gn): clone index")
            expect(g.committedSequence, plan.sequence, "\(gn): committed sequence")
            expect(g.sectorSize, plan.disks[0].sectorSize, "\(gn): sector size")
            expect(g.notes, [], "\(gn): notes")
            expect(g.disks.count, plan.disks.count, "\(gn): disk count")
            for pd in plan.disks {
                guard let d = g.disks.first(where: { $0.guid.text == pd.guid }) else { out.append("\(gn): disk \(pd.name) not read"); continue }
                expect(d.name.raw, Array(pd.name.utf8), "\(gn)/\(pd.name): name")
                expect(d.id, pd.objectID, "\(gn)/\(pd.name): id")
                guard let loc = d.location else { out.append("\(gn)/\(pd.name): not present"); continue }
                expect(loc.sectorSize, pd.sectorSize, "\(gn)/\(pd.name): sector size")
                expect(loc.partitionStyle.rawValue, pd.partitionStyle.rawValue, "\(gn)/\(pd.name): style")
                expect(loc.dataStart, pd.dataStart, "\(gn)/\(pd.name): data start")
                expect(loc.dataSize, pd.dataSize, "\(gn)/\(pd.name): data size")
                expect(loc.databaseStart, pd.configStart, "\(gn)/\(pd.name): database start")
                expect(loc.databaseSize, pd.configSize, "\(gn)/\(pd.name): database size")
            }
            expect(g.volumes.map(\.name.raw), plan.volumes.map { Array($0.name.utf8) }, "\(gn): volumes")
            for (v, pv) in zip(g.volumes, plan.volumes) {
                let vn = "\(gn)/\(pv.name)"
                expect(v.id, pv.objectID, "\(vn): id")
                expect(v.type.rawValue, pv.kind.rawValue, "\(vn): type")
                expect(v.size, pv.size, "\(vn): size")
                expect(v.chunkSize, pv.chunkSize, "\(vn): chunk")
                expect(v.guid?.text, pv.guid, "\(vn): GUID")
                expect(v.driveHint?.raw, pv.driveHint.map { Array($0.utf8) }, "\(vn): drive hint")
                expect(v.state, .complete, "\(vn): state")
                expect(v.components.count, pv.components.count, "\(vn): components")
                for (c, pc) in zip(v.components, pv.components) {
                    expect(c.id, pc.objectID, "\(vn)/\(pc.name): id")
                    expect(c.name.raw, Array(pc.name.utf8), "\(vn)/\(pc.name): name")
                    expect(c.partitions.count, pc.partitions.count, "\(vn)/\(pc.name): partitions")
                    for (p, pp) in zip(c.partitions, pc.partitions) {
                        let pn = "\(vn)/\(pp.name)"
                        expect(p.name.raw, Array(pp.name.utf8), "\(pn): name")
                        expect(p.id, pp.objectID, "\(pn): id")
                        expect(p.start, pp.start, "\(pn): start")
                        expect(p.size, pp.size, "\(pn): size")
                        expect(p.volumeOffset, pp.volumeOffset, "\(pn): volume offset")
                        expect(p.column, pp.column, "\(pn): column")
                        expect(g.disk(id: p.diskID)?.name.raw, Array(pp.diskName.utf8), "\(pn): disk")
                    }
                }
                // Sizes add up: the partitions hold the volume exactly.
                let sizes = pv.partitions.map(\.size)
                switch pv.kind {
                case .simple, .spanned: expect(sizes.reduce(0, +), v.size, "\(vn): pieces")
                case .mirrored: expect(Set(sizes), [v.size], "\(vn): plexes")
                case .striped: expect(sizes.reduce(0, +), v.size, "\(vn): columns")
                case .raid5: expect(sizes.reduce(0, +), v.size + sizes[0], "\(vn): columns")
                }
            }
        }
        return out
    }
}
