/// Everything read from one dynamic disk: its partition table, the PRIVHEAD
/// copy used, and the records of its copy of the group's database.
public struct DiskMetadata: Sendable {
    /// The device or image path exactly as given (escape it to print it).
    public var device: DevicePath
    public var sectorSize: Int
    public var diskSectors: UInt64
    public var partitionTable: PartitionTable
    public var privateHeader: PrivateHeader
    public var toc: TOCBlock
    public var vmdb: VMDB
    /// Whether a change was in flight and which way it was settled.
    public var change: ChangeState
    public var records: [VBLKRecord]
    /// With a change rolled back: the records it would give rolled forward,
    /// when they add up to the VMDB's pending counts. The group rolls the
    /// disk forward when another member shows that change past its commit
    /// point (Windows takes each step on every disk before the next, so such
    /// a disk already holds the new records).
    public var forwardRecords: [VBLKRecord]?
    /// Which copies were used where copies disagreed, and other things the
    /// user may want to know; never fatal.
    public var notes: [String]
    /// Bytes read from the device, for the "read only what is needed" claim.
    public var bytesRead: Int
}

extension DiskMetadata {
    /// The sequence of the configuration this disk's records make up: the
    /// committed one, or the pending one when a change is rolled forward.
    public var configurationSequence: UInt64 { change.sequence(vmdb) }

    /// Rolls a rolled-back change forward instead, if this disk holds its
    /// records whole; says so in the notes.
    mutating func rollForward(because reason: String) -> Bool {
        guard case .rolledBack(let pending) = change, let forward = forwardRecords else { return false }
        change = .rolledForward(to: pending)
        records = forward
        forwardRecords = nil
        notes = notes.filter { !$0.hasPrefix("Windows stopped a change") }
        notes.append("Windows stopped a change (sequence \(pending)) before its commit point on this disk, but \(reason) is past it: rolled forward to sequence \(pending), as Windows does on import; nothing is written")
        return true
    }

    /// Reads and validates the LDM metadata of one disk.
    public static func read(from source: some SectorSource) throws -> DiskMetadata {
        var reader = MetadataReader(source: source)
        return try reader.read()
    }
}

/// Reads one disk's metadata, tracking which copies were used.
struct MetadataReader<Source: SectorSource> {
    let source: Source
    var notes: [String] = []
    var bytesRead = 0

    /// The source's name, made safe to print once.
    let device: String

    init(source: Source) {
        self.source = source
        self.device = source.displayName
    }
    var sectorSize: Int { source.sectorSize }

    mutating func sectors(_ lba: UInt64, _ count: Int, _ what: String) throws -> [UInt8] {
        let bytes = try source.readSectors(lba, count: count, for: what)
        bytesRead += bytes.count
        return bytes
    }

    /// Database sector offsets of the copies, in logical sectors. The format
    /// fixes them in 512-byte units of the 1 MiB database.
    /// How much of the slot area to read at once.
    static var chunkBytes: Int { 16 * 1024 }

    var databaseSectors: UInt64 { PrivateHeader.databaseBytes / UInt64(sectorSize) }
    var privateHeaderBackups: [UInt64] { [1856 * 512 / UInt64(sectorSize), databaseSectors - 1] }

    mutating func read() throws -> DiskMetadata {
        guard sectorSize == 512 || sectorSize == 4096 else {
            throw LDMError(.unsupported, device: device, location: "device", field: "sector size", "\(sectorSize)-byte sectors are not supported (512 or 4096)")
        }
        let table = try PartitionTable.read(from: source)
        let header = try readPrivateHeader(table)
        let toc = try readTOC(header)
        let (vmdb, change, records, forward) = try readDatabase(header, toc)
        return DiskMetadata(device: source.path, sectorSize: sectorSize, diskSectors: source.sectorCount,
                            partitionTable: table, privateHeader: header, toc: toc, vmdb: vmdb,
                            change: change, records: records, forwardRecords: forward, notes: notes, bytesRead: bytesRead)
    }

    // MARK: PRIVHEAD

    /// Tries the primary copy and the two in the database; uses the valid
    /// copy with the highest update sequence and says so if copies differ.
    mutating func readPrivateHeader(_ table: PartitionTable) throws -> PrivateHeader {
        var candidates: [(UInt64, String)] = [(table.privateHeaderLBA, "primary PRIVHEAD (sector \(table.privateHeaderLBA))")]
        var firstError: LDMError?
        var valid: [(PrivateHeader, String)] = []

        func parse(_ lba: UInt64, _ what: String, _ r: inout MetadataReader) {
            do {
                let sector = try r.sectors(lba, 1, what)
                let h = try PrivateHeader.parse(sector, device: r.device, location: what,
                                                sectorSize: r.sectorSize, diskSectors: r.source.sectorCount)
                valid.append((h, what))
            } catch let error as LDMError {
                if firstError == nil { firstError = error }
            } catch {
                if firstError == nil { firstError = LDMError(.io, device: r.device, location: what, "\(error)") }
            }
        }

        parse(candidates[0].0, candidates[0].1, &self)
        // Where the database should be: from the primary copy if it parsed,
        // else where Windows puts it (GPT: the metadata partition; MBR: the
        // last 1 MiB of the disk).
        let databaseStart: UInt64? = valid.first?.0.configStart
            ?? table.metadataEntry?.firstLBA
            ?? (source.sectorCount >= databaseSectors ? source.sectorCount - databaseSectors : nil)
        if let start = databaseStart {
            for offset in privateHeaderBackups {
                // Checked: `start` may come from a partition entry.
                let (lba, overflow) = start.addingReportingOverflow(offset)
                guard !overflow, lba != table.privateHeaderLBA else { continue }
                candidates.append((lba, "backup PRIVHEAD (database sector \(offset))"))
            }
            for (lba, what) in candidates.dropFirst() where lba < source.sectorCount { parse(lba, what, &self) }
        }
        guard let primary = valid.first else {
            throw firstError ?? LDMError(.notLDM, device: device, location: "PRIVHEAD", "no PRIVHEAD found")
        }
        let chosen = valid.max { $0.0.updateSequence < $1.0.updateSequence }!
        if valid.contains(where: { !$0.0.sameIdentity(as: chosen.0) }) {
            // Copies that name another disk or another layout are not a
            // stale copy but a contradiction: refuse rather than guess.
            let other = valid.first { !$0.0.sameIdentity(as: chosen.0) }!
            throw LDMError(.inconsistent, device: device, location: other.1,
                           "disagrees with \(chosen.1) about the disk's identity or layout")
        }
        if chosen.1 != primary.1 || valid.count < candidates.count, let firstError {
            notes.append("using \(chosen.1); another copy is unusable: \(firstError.location): \(firstError.problem)")
        } else if valid.contains(where: { $0.0.updateSequence != chosen.0.updateSequence }) {
            notes.append("PRIVHEAD copies differ in update sequence; using \(chosen.1) (sequence \(chosen.0.updateSequence))")
        }
        return chosen.0
    }

    // MARK: TOCBLOCK

    /// Reads the two copies the PRIVHEAD points at and uses the valid one
    /// with the highest update sequence. Only when neither is usable are the
    /// sectors Windows uses for TOCBLOCKs searched (0 and 1 on 4096-byte
    /// disks, 1 and 2, and the two before the last), and that is noted.
    mutating func readTOC(_ header: PrivateHeader) throws -> TOCBlock {
        var firstError: LDMError?
        let named = header.primaryTOC == header.secondaryTOC ? [header.primaryTOC] : [header.primaryTOC, header.secondaryTOC]
        var found = readTOCCopies(named, "current", header, &firstError)
        if found.count < named.count, let firstError {
            let fallback = found.isEmpty ? "; searching the sectors Windows uses for TOCBLOCKs" : ""
            notes.append("\(firstError.location): \(firstError.problem)\(fallback)")
        }
        if found.isEmpty {
            let search = (sectorSize == 4096 ? [0, 1, 2] : [1, 2]) + [databaseSectors - 3, databaseSectors - 2]
            found = readTOCCopies(search.filter { !named.contains($0) }, "other", header, &firstError)
            if let best = found.max(by: { $0.0.updateSequence < $1.0.updateSequence }) {
                notes.append("using \(best.1) (update sequence \(best.0.updateSequence)), which the PRIVHEAD does not name")
            }
        }
        guard let best = found.max(by: { $0.0.updateSequence < $1.0.updateSequence }) else {
            throw firstError!
        }
        if found.contains(where: { ($0.0.configStart, $0.0.configSize) != (best.0.configStart, best.0.configSize) }) {
            notes.append("TOCBLOCK copies place the config region differently; using \(best.1) (update sequence \(best.0.updateSequence))")
        }
        return best.0
    }

    /// The copies at `offsets` (database sectors) that parse; the first
    /// problem met is kept for the message.
    mutating func readTOCCopies(_ offsets: [UInt64], _ kind: String, _ header: PrivateHeader,
                                _ firstError: inout LDMError?) -> [(TOCBlock, String)] {
        var found: [(TOCBlock, String)] = []
        for offset in offsets {
            let what = "\(kind) TOCBLOCK (database sector \(offset))"
            guard offset < header.configSize else {
                if firstError == nil {
                    firstError = LDMError(.invalid, device: device, location: "PRIVHEAD", field: "TOCBLOCK location",
                                          "the PRIVHEAD places the \(kind) TOCBLOCK at database sector \(offset), past the \(header.configSize)-sector database")
                }
                continue
            }
            do {
                let sector = try sectors(header.configStart + offset, 1, what)
                found.append((try TOCBlock.parse(sector, device: device, location: what,
                                                 databaseSectors: header.configSize), what))
            } catch let error as LDMError {
                if firstError == nil { firstError = error }
            } catch {
                if firstError == nil { firstError = LDMError(.io, device: device, location: what, "\(error)") }
            }
        }
        return found
    }

    // MARK: VMDB and VBLKs

    mutating func readDatabase(_ header: PrivateHeader, _ toc: TOCBlock) throws -> (VMDB, ChangeState, [VBLKRecord], [VBLKRecord]?) {
        let vmdbLBA = header.configStart + toc.configStart
        let location = "VMDB (database sector \(toc.configStart))"
        let first = try sectors(vmdbLBA, 1, location)
        let regionBytes = toc.configSize * UInt64(sectorSize)
        let vmdb = try VMDB.parse(first, device: device, location: location, configRegionBytes: regionBytes)
        let change = try ChangeState.of(vmdb, device: device, location: location)
        if let g = vmdb.groupGUID, g != header.groupGUID {
            throw LDMError(.inconsistent, device: device, location: location, field: "disk group GUID",
                           "VMDB names group \(g) but the PRIVHEAD names \(header.groupGUID)")
        }
        // Read the slot area a chunk at a time and stop once every record
        // the VMDB counts is in: the area is sized for thousands of slots.
        var assembler = VBLKAssembler(vmdb: vmdb, device: device, change: change)
        let slotBytes = Int(vmdb.vblkSize)
        var position = Int(vmdb.firstVBLKOffset)       // bytes from the VMDB start
        let chunkSectors = max(2, Self.chunkBytes / sectorSize)
        while !assembler.isAtEnd, !assembler.hasEverything {
            let lba = vmdbLBA + UInt64(position / sectorSize)
            let skip = position % sectorSize
            let wanted = skip + (assembler.slotCount - assembler.nextSlot) * slotBytes
            let count = min(chunkSectors, (wanted + sectorSize - 1) / sectorSize)
            let chunk = try sectors(lba, count, "VBLK area (sector \(lba))")
            let whole = (chunk.count - skip) / slotBytes * slotBytes
            guard whole > 0 else { break }
            try assembler.feed(chunk[skip..<skip + whole])
            position += whole
        }
        let records = try assembler.finish()
        try checkCounts(change.expectedCounts(vmdb), { if case .rolledForward = change { return "pending" } else { return "committed" } }(), records, location)
        switch change {
        case .consistent where assembler.setAside > 0:
            notes.append("\(assembler.setAside) record(s) marked not yet active although the VMDB says no change is in flight; left out")
        case .consistent: break
        case .rolledBack(let pending):
            notes.append("Windows stopped a change (sequence \(pending)) before its commit point (VMDB update status \(vmdb.updateStatus)): rolled back to committed sequence \(vmdb.committedSequence), leaving out its \(assembler.setAside) new record(s), as Windows does on import; nothing is written")
        case .rolledForward(let to):
            notes.append("Windows stopped a change after its commit point (VMDB update status 3): rolled forward to sequence \(to), leaving out the \(assembler.setAside) record(s) it retires, as Windows does on import; nothing is written")
        }
        // The other way, kept only if it is whole.
        let forward = assembler.forwardRecords.flatMap { r in
            (try? checkCounts(vmdb.pendingCounts, "pending", r, location)).map { r }
        }
        return (vmdb, change, records, forward)
    }

    func checkCounts(_ expected: [UInt32], _ which: String, _ records: [VBLKRecord], _ location: String) throws {
        var counts = (volumes: 0, components: 0, partitions: 0, disks: 0)
        for r in records {
            switch r {
            case .volume: counts.volumes += 1
            case .component: counts.components += 1
            case .partition: counts.partitions += 1
            case .disk: counts.disks += 1
            case .diskGroup: break
            }
        }
        for (what, expected, found) in [("volume", expected[0], counts.volumes),
                                        ("component", expected[1], counts.components),
                                        ("partition", expected[2], counts.partitions),
                                        ("disk", expected[3], counts.disks)] where Int(expected) != found {
            throw LDMError(.invalid, device: device, location: location, field: "\(which) \(what) count",
                           "VMDB says \(expected) \(what) records, the database holds \(found)")
        }
    }
}
