import LDM
import LDMWriter
import LDMTestSupport
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
        } catch {
            warn("seed writer: \(error)\n")
            return 1
        }
        var files: [FileSource] = []
        for path in imagePaths {
            if let f = FileSource(path: path) { files.append(f) } else { warn("cannot read \(path)\n") }
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

/// A read-only image file (the fuzzer is built without BlockDevices).
final class FileSource: SectorSource, @unchecked Sendable {
    let name: String
    let sectorSize = 512
    let byteCount: UInt64
    let fd: CInt

    init?(path: String) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        let end = lseek(fd, 0, SEEK_END)
        guard end > 0 else { close(fd); return nil }
        name = path
        byteCount = UInt64(end)
    }

    deinit { close(fd) }

    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        guard n == count else { throw LDMError(.io, device: name, location: "byte \(offset)", "short read") }
        return buffer
    }
}
