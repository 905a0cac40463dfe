import XCTest
import LDM
import LDMWriter

/// Written images read back as the spec the writer was given.
final class ReaderRoundTripTests: XCTestCase {
    func checkRoundTrip(_ spec: ImageSpec, file: StaticString = #filePath, line: UInt = #line) throws {
        let plans = try ImageWriter.plan(spec)
        let r = readImages(try written(spec))
        XCTAssertEqual(r.errors, [], r.errorText, file: file, line: line)
        XCTAssertEqual(r.groups.count, plans.count, file: file, line: line)
        for plan in plans {
            guard let g = r.group(plan.name) else { XCTFail("group \(plan.name) not read", file: file, line: line); continue }
            XCTAssertEqual(g.guid.text, plan.guid, file: file, line: line)
            XCTAssertEqual(g.presentDiskCount, plan.disks.count, file: file, line: line)
            XCTAssertEqual(Set(g.disks.map(\.name.display)), Set(plan.disks.map(\.name)), file: file, line: line)
            for pd in plan.disks {
                let d = g.disks.first { $0.name.display == pd.name }
                XCTAssertEqual(d?.guid.text, pd.guid, file: file, line: line)
                XCTAssertEqual(d?.location?.dataStart, pd.dataStart, file: file, line: line)
                XCTAssertEqual(d?.location?.dataSize, pd.dataSize, file: file, line: line)
                XCTAssertEqual(d?.location?.sectorSize, pd.sectorSize, file: file, line: line)
            }
            XCTAssertEqual(g.volumes.count, plan.volumes.count, file: file, line: line)
            for pv in plan.volumes {
                guard let v = g.volumes.first(where: { $0.name.display == pv.name }) else {
                    XCTFail("volume \(pv.name) not read", file: file, line: line); continue
                }
                XCTAssertEqual(v.type.rawValue, pv.kind.rawValue, pv.name, file: file, line: line)
                XCTAssertEqual(v.size, pv.size, pv.name, file: file, line: line)
                XCTAssertEqual(v.chunkSize, pv.chunkSize, pv.name, file: file, line: line)
                XCTAssertEqual(v.guid?.text, pv.guid, pv.name, file: file, line: line)
                XCTAssertEqual(v.driveHint?.display, pv.driveHint, pv.name, file: file, line: line)
                XCTAssertEqual(v.state, .complete, pv.name, file: file, line: line)
                XCTAssertEqual(v.components.count, pv.components.count, pv.name, file: file, line: line)
                for (c, pc) in zip(v.components, pv.components) {
                    XCTAssertEqual(c.partitions.map(\.name.display), pc.partitions.map(\.name), pv.name, file: file, line: line)
                    for (p, pp) in zip(c.partitions, pc.partitions) {
                        XCTAssertEqual(p.start, pp.start, pp.name, file: file, line: line)
                        XCTAssertEqual(p.size, pp.size, pp.name, file: file, line: line)
                        XCTAssertEqual(p.volumeOffset, pp.volumeOffset, pp.name, file: file, line: line)
                        XCTAssertEqual(p.column, pp.column, pp.name, file: file, line: line)
                        XCTAssertEqual(g.disk(id: p.diskID)?.name.display, pp.diskName, pp.name, file: file, line: line)
                    }
                }
            }
        }
    }

    func testSampleSet512() throws { try checkRoundTrip(SampleSpecs.standard(sectorSize: 512)) }
    func testSampleSet4096() throws { try checkRoundTrip(SampleSpecs.standard(sectorSize: 4096)) }

    /// Long names force records over several VBLK fragments.
    func testFragmentedRecordsAndLongNames() throws {
        let long = String(repeating: "N", count: 200)
        let spec = ImageSpec(groups: [
            .init(name: "G", disks: [.init(name: "Disk-" + long.prefix(100), sizeBytes: 16 * ImageSpec.MiB)],
                  volumes: [.init(name: "V" + long, kind: .simple, sizeBytes: ImageSpec.MiB, disks: ["Disk-" + long.prefix(100)])]),
        ])
        let images = try written(spec)
        XCTAssertTrue(images[0].layout.database.slots.contains { $0.fragments > 1 }, "expected split records")
        try checkRoundTrip(spec)
    }

    func testReadsOnlyTheMetadata() throws {
        let images = try written(SampleSpecs.standard())
        for image in images {
            let m = try DiskMetadata.read(from: image)
            // MBR/GPT, PRIVHEAD copies, four TOCBLOCKs, the VMDB and one chunk of slots.
            XCTAssertLessThanOrEqual(m.bytesRead, 48 * 1024, image.name)
        }
    }

    func testCompletenessWithMissingDisks() throws {
        let images = try written(SampleSpecs.standard()).filter { $0.groupName == SampleSpecs.mbrGroupName }
        func states(without missing: Set<String>) -> [String: VolumeState] {
            let r = readImages(images.filter { !missing.contains($0.name) })
            XCTAssertEqual(r.errors, [])
            return Dictionary(uniqueKeysWithValues: r.groups[0].volumes.map { ($0.name.display, $0.state) })
        }
        XCTAssertEqual(states(without: []).values.filter { $0 != .complete }.count, 0)
        // Mirror on Disk4+Disk5, Raid5 on Disk3+4+5, Striped on Disk1+2+3, Spanned on 2+3.
        XCTAssertEqual(states(without: ["Disk4"]), ["Simple": .complete, "Spanned": .complete, "Striped": .complete,
                                                     "Mirror": .degraded, "Raid5": .degraded])
        XCTAssertEqual(states(without: ["Disk3"]), ["Simple": .complete, "Spanned": .incomplete, "Striped": .incomplete,
                                                     "Mirror": .complete, "Raid5": .degraded])
        XCTAssertEqual(states(without: ["Disk4", "Disk5"]), ["Simple": .complete, "Spanned": .complete, "Striped": .complete,
                                                              "Mirror": .incomplete, "Raid5": .incomplete])
        let r = readImages(images.filter { $0.name != "Disk4" })
        XCTAssertEqual(r.groups[0].presentDiskCount, 4)
        XCTAssertEqual(r.groups[0].disks.first { $0.name.display == "Disk4" }?.isPresent, false)
    }

    func testRegionsCoverTheDataArea() throws {
        let r = readImages(try written(SampleSpecs.standard()))
        for g in r.groups {
            for d in g.disks {
                var position: UInt64 = 0
                for region in d.regions {
                    XCTAssertEqual(region.start, position)
                    position += region.size
                }
                XCTAssertEqual(position, d.location?.dataSize)
            }
        }
    }
}
