import LDM
import LDMWriter
import LDMTestSupport
import BlockDevices
#if canImport(Glibc)
import Glibc
#endif

/// Writes the seed corpus: the metadata the reader reads of images written
/// by LDMWriter (many layouts), and of real images given at run time (the
/// real Windows images may seed a local corpus but are never committed).
enum SeedWriter {
    static func run(directory: String, imagePaths: [String]) -> CInt {
        var count = 0
        func save(_ name: String, _ sources: [any SectorSource]) {
            guard !sources.isEmpty else { return }
            for (i, chunk) in stride(from: 0, to: sources.count, by: FuzzDisks.maxDisks).enumerated() {
                let part = Array(sources[chunk..<min(chunk + FuzzDisks.maxDisks, sources.count)])
                let bytes = FuzzDisks.seed(from: part)
                let path = "\(directory)/seed-\(name)\(i > 0 ? "-\(i)" : "")"
                guard let f = fopen(path, "wb") else { warn("cannot write \(path)\n"); return }
                _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
                fclose(f)
                count += 1
            }
        }
        do {
            for (name, spec) in specs() {
                let images = try ImageWriter.write(spec)
                for group in Set(images.map(\.groupName)).sorted() {
                    let members = images.filter { $0.groupName == group }
                    save("\(name)-\(group)", members)
                    // Missing disks: degraded and incomplete volumes.
                    if members.count > 1 { save("\(name)-\(group)-partial", Array(members.dropFirst())) }
                }
            }
            for (name, disks) in try hostile() { save(name, disks) }
        } catch {
            warn("seed writer: \(error)\n")
            return 1
        }
        var files: [FileSectorSource] = []
        for path in imagePaths {
            do { files.append(try FileSectorSource(path: path)) } catch { warn("cannot read \(path): \(error)\n") }
        }
        for f in files { save("image-\(f.name.split(separator: "/").last ?? "")", [f]) }
        save("images-all", files)
        print("wrote \(count) seeds to \(directory)")
        return 0
    }

    static func specs() -> [(String, ImageSpec)] {
        let MiB = ImageSpec.MiB
        var out: [(String, ImageSpec)] = [("std512", SampleSpecs.standard(sectorSize: 512)),
                                          ("std4096", SampleSpecs.standard(sectorSize: 4096))]
        // Small slots (records over several fragments), big slots, revision
        // 4 on MBR, GPT with 2.11, long names.
        for (vblk, rev, style) in [(64, 3, ImageSpec.PartitionStyle.mbr), (256, 4, .gpt), (512, 4, .mbr), (128, 3, .gpt)] {
            let disks = (1...3).map { ImageSpec.Disk(name: "D\($0)", sizeBytes: 16 * MiB, partitionStyle: style, recordRevision: rev) }
            let long = String(repeating: "x", count: vblk == 64 ? 60 : 20)
            out.append(("vblk\(vblk)", ImageSpec(groups: [.init(
                name: "Fz\(vblk)", recordRevision: rev, privheadMinor: rev == 4 ? 12 : 11, vblkSize: vblk, disks: disks,
                volumes: [.init(name: "S" + long, kind: .spanned, sizeBytes: 3 * MiB, disks: ["D1", "D2"], spanBytes: [MiB, 2 * MiB]),
                          .init(name: "R", kind: .raid5, sizeBytes: 2 * MiB, disks: ["D1", "D2", "D3"], chunkBytes: 16 * 1024),
                          .init(name: "M", kind: .mirrored, sizeBytes: MiB, disks: ["D2", "D3"]),
                          .init(name: "T", kind: .striped, sizeBytes: 2 * MiB, disks: ["D3", "D1"], chunkBytes: 32 * 1024)])])))
        }
        return out
    }
}

extension SeedWriter {
    /// Disks as an attacker forges them (the cases of issue 8): a non-LDM
    /// GPT disk with a whole-range entry beside a valid group; a stranger's
    /// disk claiming a group with a newer configuration, listing itself or
    /// not; one disk given twice; two groups with one name.
    static func hostile() throws -> [(String, [DiskImage])] {
        let MiB = ImageSpec.MiB
        let gpt = try ImageWriter.write(SampleSpecs.standard()).filter { $0.groupName == SampleSpecs.gptGroupName }
        var foreign = gpt[0]
        let n = foreign.sectorCount
        foreign.setGPTEntry(0, type: GPTForgery.basicDataType, first: 34, last: n / 2)
        foreign.setGPTEntry(2, type: GPTForgery.basicDataType, first: n / 2 + 1, last: n - 40)
        foreign.setGPTEntry(3, type: GPTForgery.basicDataType, first: 0, last: .max)

        func home(sequence: UInt64, stranger: Bool, takeover: Bool) -> ImageSpec {
            var disks = (1...2).map { ImageSpec.Disk(name: "D\($0)", sizeBytes: 16 * MiB, recordRevision: 4) }
            if stranger { disks.append(ImageSpec.Disk(name: "X", sizeBytes: 16 * MiB, recordRevision: 4)) }
            let volumes: [ImageSpec.Volume] = takeover
                ? [.init(name: "Take", kind: .simple, sizeBytes: 14 * MiB, disks: ["D1"])]
                : [.init(name: "A", kind: .simple, sizeBytes: 4 * MiB, disks: ["D1"]),
                   .init(name: "B", kind: .mirrored, sizeBytes: 4 * MiB, disks: ["D1", "D2"])]
            return ImageSpec(groups: [.init(name: "Home", recordRevision: 4, privheadMinor: 12, sequence: sequence,
                                            disks: disks, volumes: volumes)])
        }
        let real = try ImageWriter.write(home(sequence: 0x400, stranger: false, takeover: false))
        let stranger = try ImageWriter.write(home(sequence: 0x999, stranger: true, takeover: true))[2]
        var unlisted = try ImageWriter.write(home(sequence: 0x999, stranger: false, takeover: true))[0]
        for p in unlisted.layout.database.privheads {
            unlisted.patch(at: p + 0x30, bytes: Array("5a5a5a5a-0000-4000-8000-00000000000f".utf8))
        }
        unlisted.sealChecksums()
        func named(_ guid: String) -> [DiskImage] {
            (try? ImageWriter.write(ImageSpec(groups: [.init(
                name: "Same", guid: guid, disks: [.init(name: "D", sizeBytes: 8 * MiB)],
                volumes: [.init(name: "V", kind: .simple, sizeBytes: 2 * MiB, disks: ["D"])])]))) ?? []
        }
        return [("foreign-gpt", [gpt[0], foreign, gpt[1]]),
                ("stranger-listed", real + [stranger]),
                ("stranger-unlisted", real + [unlisted]),
                ("stranger-alone", [real[0], stranger]),
                ("same-disk-twice", real + [real[0]]),
                ("same-name", named("aaaaaaaa-0000-4000-8000-000000000001") + named("bbbbbbbb-0000-4000-8000-000000000002"))]
    }
}
