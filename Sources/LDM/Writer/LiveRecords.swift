/// The image writer's record encoder, opened to `ldmctl create-volume`:
/// the volume, component and partition records of one new volume, encoded
/// exactly as `VBLKEncoder` encodes them for written images (one encoder
/// for both), and cut into VBLK slots.
public enum LiveRecords {
    /// One record: its kind, name, object id and the bytes from record
    /// offset 0x10 (status, flags, type, body size, body).
    public struct Encoded: Sendable, Equatable {
        public let kind: String
        public let name: String
        public let objectID: UInt64
        public var payload: [UInt8]

        public init(kind: String, name: String, objectID: UInt64, payload: [UInt8]) {
            self.kind = kind; self.name = name; self.objectID = objectID; self.payload = payload
        }

        /// Slots the record needs in a database with `vblkSize`-byte slots.
        public func fragmentCount(vblkSize: Int) -> Int {
            (payload.count + vblkSize - 16 - 1) / (vblkSize - 16)
        }

        /// Fragment `index` of `count` as a whole slot.
        public func slot(sequence: UInt32, groupNumber: UInt32, fragment: Int, of count: Int, vblkSize: Int) -> [UInt8] {
            VBLKEncoder.slot(VBLKEncoder.Record(kind: .volume, name: name, payload: payload), sequence: sequence,
                             recordID: groupNumber, fragment: fragment, of: count, vblkSize: vblkSize)
        }
    }

    /// An unused slot: "VBLK", its sequence, and zeros (group 0, count 0),
    /// as Windows leaves a deleted record's slots.
    public static func emptySlot(sequence: UInt32, vblkSize: Int) -> [UInt8] {
        VBLKEncoder.slot(nil, sequence: sequence, recordID: 0, fragment: 0, of: 0, vblkSize: vblkSize)
    }

    /// Most fragments a record may have.
    public static let maxFragments = VBLKEncoder.maxFragments

    public struct Extent: Sendable, Equatable {
        public var name: String, objectID: UInt64, diskObjectID: UInt64
        public var start: UInt64, size: UInt64, volumeOffset: UInt64, column: UInt64
        public init(name: String, objectID: UInt64, diskObjectID: UInt64, start: UInt64, size: UInt64,
                    volumeOffset: UInt64, column: UInt64) {
            self.name = name; self.objectID = objectID; self.diskObjectID = diskObjectID
            self.start = start; self.size = size; self.volumeOffset = volumeOffset; self.column = column
        }
    }

    public struct Plex: Sendable, Equatable {
        public var name: String, objectID: UInt64
        /// Component type byte: 1 striped, 2 spanned (also simple and mirror plexes), 3 RAID-5.
        public var type: UInt8
        public var chunkSize: UInt64, columns: UInt64
        public var extents: [Extent]
        public init(name: String, objectID: UInt64, type: UInt8, chunkSize: UInt64, columns: UInt64, extents: [Extent]) {
            self.name = name; self.objectID = objectID; self.type = type
            self.chunkSize = chunkSize; self.columns = columns; self.extents = extents
        }
    }

    public struct Volume: Sendable, Equatable {
        public var name: String, objectID: UInt64, number: UInt8
        public var kind: ImageSpec.VolumeKind
        public var guid: String
        public var size: UInt64
        public var driveHint: String?
        public var plexes: [Plex]
        public init(name: String, objectID: UInt64, number: UInt8, kind: ImageSpec.VolumeKind, guid: String,
                    size: UInt64, driveHint: String?, plexes: [Plex]) {
            self.name = name; self.objectID = objectID; self.number = number; self.kind = kind
            self.guid = guid; self.size = size; self.driveHint = driveHint; self.plexes = plexes
        }
    }

    /// The volume's records in the order Windows lists them (volume, then
    /// each component followed by its partitions), all carrying `commitID`.
    /// `guid` must be a GUID's text form.
    public static func encode(_ v: Volume, commitID: UInt64, vblkSize: Int) -> [Encoded] {
        // The encoder reads only the sequence (commit id) and the disks'
        // object ids from the group; the rest of it is not used here.
        var diskIDs: [UInt64] = []
        func diskIndex(_ id: UInt64) -> Int {
            if let i = diskIDs.firstIndex(of: id) { return i }
            diskIDs.append(id)
            return diskIDs.count - 1
        }
        let components = v.plexes.map { c in
            PlannedComponent(name: c.name, objectID: c.objectID, type: c.type, chunkSize: c.chunkSize, columns: c.columns,
                             partitions: c.extents.map { e in
                                 PlannedPartition(name: e.name, objectID: e.objectID, diskName: "", diskIndex: diskIndex(e.diskObjectID),
                                                  start: e.start, size: e.size, volumeOffset: e.volumeOffset, column: e.column,
                                                  role: .linear(offset: 0))
                             })
        }
        let disks = diskIDs.map { id in
            PlannedDisk(name: "", guid: "", objectID: id, fileName: "", partitionStyle: .mbr, sectorSize: 512,
                        recordRevision: 3, totalSectors: 0, dataStart: 0, dataSize: 0, configStart: 0, configSize: 0,
                        signature: 0)
        }
        let group = PlannedGroup(name: "", guid: v.guid, objectID: 0, recordRevision: 3, privheadMinor: 11,
                                 vblkSize: vblkSize, sequence: commitID, disks: disks, volumes: [])
        let volume = PlannedVolume(name: v.name, kind: v.kind, guid: v.guid, objectID: v.objectID, number: v.number,
                                   sectorSize: 512, size: v.size, chunkSize: 0, driveHint: v.driveHint,
                                   components: components)
        var out = [Encoded(kind: "volume", name: v.name, objectID: v.objectID,
                           payload: VBLKEncoder.volume(volume, group: group).payload)]
        for c in components {
            out.append(Encoded(kind: "component", name: c.name, objectID: c.objectID,
                               payload: VBLKEncoder.component(c, volume: volume, group: group, flags: 0).payload))
            for p in c.partitions {
                out.append(Encoded(kind: "partition", name: p.name, objectID: p.objectID,
                                   payload: VBLKEncoder.partition(p, component: c, group: group, extentFlags: 0).payload))
            }
        }
        return out
    }
}
