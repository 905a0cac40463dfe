/// Ready-made specs: the sample set `ldm-mkimage sample` writes and tests use.
public enum SampleSpecs {
    public static let mbrGroupName = "LdmctlSample"
    public static let gptGroupName = "LdmctlGpt"

    /// An MBR group of five 64 MiB disks (Windows 2003 style: PRIVHEAD 2.11,
    /// revision-3 records) holding one volume of each type, and a GPT group
    /// of two 32 MiB disks (Vista style: 2.12, revision-4 records) with a
    /// simple and a striped volume.
    public static func standard(sectorSize: Int = 512) -> ImageSpec {
        let MiB = ImageSpec.MiB
        let mbrDisks = (1...5).map {
            ImageSpec.Disk(name: "Disk\($0)", sizeBytes: 64 * MiB, sectorSize: sectorSize)
        }
        let mbr = ImageSpec.Group(
            name: mbrGroupName, disks: mbrDisks,
            volumes: [
                .init(name: "Simple", kind: .simple, sizeBytes: 8 * MiB, disks: ["Disk1"], driveHint: "E:"),
                .init(name: "Spanned", kind: .spanned, sizeBytes: 16 * MiB, disks: ["Disk2", "Disk3"],
                      spanBytes: [6 * MiB, 10 * MiB], driveHint: "F:"),
                .init(name: "Striped", kind: .striped, sizeBytes: 24 * MiB, disks: ["Disk1", "Disk2", "Disk3"],
                      driveHint: "G:"),
                .init(name: "Mirror", kind: .mirrored, sizeBytes: 8 * MiB, disks: ["Disk4", "Disk5"],
                      driveHint: "H:"),
                .init(name: "Raid5", kind: .raid5, sizeBytes: 16 * MiB, disks: ["Disk3", "Disk4", "Disk5"],
                      driveHint: "I:"),
            ])
        let gptDisks = (1...2).map {
            ImageSpec.Disk(name: "Disk\($0)", sizeBytes: 32 * MiB, partitionStyle: .gpt,
                           sectorSize: sectorSize, recordRevision: 4)
        }
        let gpt = ImageSpec.Group(
            name: gptGroupName, recordRevision: 4, privheadMinor: 12, disks: gptDisks,
            volumes: [
                .init(name: "GptSimple", kind: .simple, sizeBytes: 4 * MiB, disks: ["Disk1"], driveHint: "J:"),
                .init(name: "GptStriped", kind: .striped, sizeBytes: 8 * MiB, disks: ["Disk1", "Disk2"]),
            ])
        return ImageSpec(groups: [mbr, gpt])
    }
}
