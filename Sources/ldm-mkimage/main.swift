import ArgumentParser
import Foundation
import LDMWriter

/// Writes LDM (Windows dynamic disk) images for tests and demos.
@main
struct MkImage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ldm-mkimage",
        abstract: "Write Windows LDM (dynamic disk) images of any layout.",
        discussion: """
            Images are sparse files: only the partition table, the LDM metadata \
            and the volume contents are written. Every volume holds a known \
            pattern: each 512-byte sector starts with \
            "LDMCTL <group>/<volume> sector <n>" and is filled with a \
            deterministic pseudo-random stream, so a reader can check what it \
            reassembles. RAID-5 volumes use Windows' layout (left-symmetric, \
            columns in column-index order). All sizes in a spec are in bytes; \
            the LDM records hold them in the disk's logical sectors.

            Image files carry no sector size: tools assume 512 bytes. To read \
            4096-byte-sector images attach them with \
            `losetup --sector-size 4096 -f --show IMAGE`.

            Examples:
              ldm-mkimage sample /tmp/ldm
              ldm-mkimage sample --sector-size 4096 --no-content /tmp/ldm4k
              ldm-mkimage spec my-layout.json /tmp/ldm
              ldm-mkimage example-spec > my-layout.json
            """,
        subcommands: [Sample.self, Spec.self, ExampleSpec.self, Digest.self])
}

struct OutputOptions: ParsableArguments {
    @Flag(name: .customLong("no-content"),
          help: "Write metadata only and leave the volumes as holes (faster).")
    var noContent = false

    @Flag(name: .long, help: "Also print each disk's partitions and metadata offsets.")
    var verbose = false
}

func writeImages(_ spec: ImageSpec, to dir: String, _ options: OutputOptions) throws {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let images = try ImageWriter.write(spec)
    for image in images {
        let path = (dir as NSString).appendingPathComponent(image.fileName)
        try image.write(to: path, includeContent: !options.noContent)
        print(path)
        if options.verbose {
            let db = image.layout.database
            print("  group \(image.groupName), disk \(image.name), \(image.layout.partitionStyle.rawValue), "
                + "\(image.sectorSize)-byte sectors, \(image.layout.totalSectors) sectors")
            print("  PRIVHEAD at bytes \(db.privheads), TOCBLOCK at \(db.tocblocks), VMDB at \(db.vmdb), "
                + "\(db.slots.count) VBLK slots of \(db.vblkSize) bytes")
            for p in image.layout.partitions {
                print("  partition \(p.name) (volume \(p.volume)): bytes \(p.offset) +\(p.length)")
            }
        }
    }
}

extension MkImage {
    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the standard sample set into DIR and print the image paths.",
            discussion: """
                Group \(SampleSpecs.mbrGroupName): five 64 MiB MBR disks (PRIVHEAD 2.11, \
                revision-3 records) with volumes Simple (8 MiB), Spanned (6+10 MiB), \
                Striped (3 x 8 MiB), Mirror (2 x 8 MiB) and Raid5 (3 x 8 MiB, 16 MiB usable). \
                Group \(SampleSpecs.gptGroupName): two 32 MiB GPT disks (PRIVHEAD 2.12, \
                revision-4 records) with GptSimple (4 MiB) and GptStriped (2 x 4 MiB).
                """)

        @Argument(help: "Output directory (created if missing).")
        var dir: String

        @Option(help: "Logical sector size: 512 or 4096.")
        var sectorSize = 512

        @OptionGroup var output: OutputOptions

        func run() throws {
            try writeImages(SampleSpecs.standard(sectorSize: sectorSize), to: dir, output)
        }
    }

    struct Spec: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the images a JSON spec describes into DIR.",
            discussion: """
                The JSON mirrors ImageSpec: {"groups": [{"name", "guid"?, \
                "recordRevision"? (3|4), "privheadMinor"? (11|12), "vblkSize"? (128), \
                "sequence"?, "disks": [{"name", "sizeBytes", "guid"?, \
                "partitionStyle"? ("mbr"|"gpt"), "sectorSize"? (512|4096), \
                "recordRevision"? (3|4), "dataStart"?, "fileName"?}], \
                "volumes": [{"name", "kind" ("simple"|"spanned"|"striped"|"mirrored"|"raid5"), \
                "sizeBytes", "disks": [names], "spanBytes"?, "chunkBytes"? (65536), \
                "driveHint"?, "objectID"?, "guid"?}]}]}. \
                See `ldm-mkimage example-spec`.
                """)

        @Argument(help: "JSON spec file.")
        var file: String

        @Argument(help: "Output directory (created if missing).")
        var dir: String

        @OptionGroup var output: OutputOptions

        func run() throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            try writeImages(try JSONDecoder().decode(ImageSpec.self, from: data), to: dir, output)
        }
    }

    struct Digest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the SHA-256 of a volume's known contents (what reading the whole volume must give).")

        @Argument(help: "Disk group name.") var group: String
        @Argument(help: "Volume name.") var volume: String
        @Argument(help: "Volume size in 512-byte sectors.") var sectors: UInt64

        func run() {
            print(VolumeContent.sha256(group: group, volume: volume, sectors: sectors))
        }
    }

    struct ExampleSpec: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "example-spec",
            abstract: "Print the sample set as a JSON spec, to start your own from.")

        func run() throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(SampleSpecs.standard()), as: UTF8.self))
        }
    }
}
