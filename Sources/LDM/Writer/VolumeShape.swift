/// A volume's components and the partitions each needs, before placement:
/// the sizes each volume type implies and how content maps onto them.
struct VolumeShape {
    struct Piece {
        let disk: Int
        /// Logical sectors.
        let size: UInt64
        let volumeOffset: UInt64
        let column: UInt64
        let role: ContentRole
    }

    let sectorSize: Int
    /// Volume size and chunk size in logical sectors.
    let size: UInt64
    let chunk: UInt64
    /// Component type byte: 1 striped, 2 spanned (simple, spanned, each
    /// mirror plex), 3 RAID-5.
    let componentType: UInt8
    let components: [[Piece]]

    init(_ v: ImageSpec.Volume, members: [Int], disks: [PlannedDisk]) throws(ImageWriterError) {
        guard let first = members.first else {
            throw .wrongDiskCount(volume: v.name, count: 0, expected: "at least 1")
        }
        let ss = disks[first].sectorSize
        guard members.allSatisfy({ disks[$0].sectorSize == ss }) else { throw .mixedSectorSizes(volume: v.name) }
        let ssz = UInt64(ss)
        let units = ssz / 512  // content sectors per logical sector
        guard v.sizeBytes > 0, v.sizeBytes % ssz == 0 else {
            throw .notMultiple(what: "size of volume \(v.name)", value: v.sizeBytes, of: ssz)
        }
        let size = v.sizeBytes / ssz
        let n = UInt64(members.count)

        func needDisks(_ ok: Bool, _ expected: String) throws(ImageWriterError) {
            guard ok else { throw .wrongDiskCount(volume: v.name, count: members.count, expected: expected) }
        }
        func needDistinct() throws(ImageWriterError) {
            guard Set(members).count == members.count else {
                throw .wrongDiskCount(volume: v.name, count: Set(members).count, expected: "distinct disks")
            }
        }
        func chunkSectors() throws(ImageWriterError) -> UInt64 {
            guard v.chunkBytes > 0, v.chunkBytes % ssz == 0 else {
                throw .notMultiple(what: "chunk size of volume \(v.name)", value: v.chunkBytes, of: ssz)
            }
            return v.chunkBytes / ssz
        }

        sectorSize = ss
        self.size = size
        switch v.kind {
        case .simple:
            try needDisks(n == 1, "exactly 1")
            chunk = 0
            componentType = 2
            components = [[Piece(disk: first, size: size, volumeOffset: 0, column: 0, role: .linear(offset: 0))]]
        case .spanned:
            try needDisks(n >= 2, "at least 2")
            chunk = 0
            componentType = 2
            var spans: [UInt64]
            if let bytes = v.spanBytes {
                try needDisks(bytes.count == members.count, "one span size per disk (\(bytes.count) given)")
                spans = []
                for b in bytes {
                    guard b > 0, b % ssz == 0 else {
                        throw .notMultiple(what: "span size of volume \(v.name)", value: b, of: ssz)
                    }
                    spans.append(b / ssz)
                }
                guard spans.reduce(0, +) == size else {
                    throw .notMultiple(what: "span sizes of volume \(v.name) summing to", value: spans.reduce(0, +) * ssz, of: v.sizeBytes)
                }
            } else {
                let each = size / n
                guard each > 0 else { throw .notMultiple(what: "size of volume \(v.name)", value: v.sizeBytes, of: ssz * n) }
                spans = [UInt64](repeating: each, count: members.count)
                spans[spans.count - 1] += size - each * n
            }
            var offset: UInt64 = 0
            var pieces: [Piece] = []
            for (d, span) in zip(members, spans) {
                pieces.append(Piece(disk: d, size: span, volumeOffset: offset, column: 0,
                                    role: .linear(offset: offset * units)))
                offset += span
            }
            components = [pieces]
        case .striped:
            try needDisks(n >= 2, "at least 2")
            try needDistinct()
            let c = try chunkSectors()
            guard size % (c * n) == 0 else {
                throw .notMultiple(what: "size of striped volume \(v.name)", value: v.sizeBytes, of: c * n * ssz)
            }
            chunk = c
            componentType = 1
            components = [members.enumerated().map { i, d in
                Piece(disk: d, size: size / n, volumeOffset: 0, column: UInt64(i),
                      role: .stripe(column: UInt64(i), columns: n, chunk: c * units))
            }]
        case .mirrored:
            try needDisks(n >= 2, "at least 2")
            try needDistinct()
            chunk = 0
            componentType = 2
            components = members.map { d in
                [Piece(disk: d, size: size, volumeOffset: 0, column: 0, role: .linear(offset: 0))]
            }
        case .raid5:
            try needDisks(n >= 3, "at least 3")
            try needDistinct()
            let c = try chunkSectors()
            guard size % (c * (n - 1)) == 0 else {
                throw .notMultiple(what: "size of RAID-5 volume \(v.name)", value: v.sizeBytes, of: c * (n - 1) * ssz)
            }
            chunk = c
            componentType = 3
            components = [members.enumerated().map { i, d in
                Piece(disk: d, size: size / (n - 1), volumeOffset: 0, column: UInt64(i),
                      role: .raid5(column: UInt64(i), columns: n, chunk: c * units))
            }]
        }
    }
}
