import LDM
import BlockDevices

/// Reads the disks a command names (or the system's) and finds the group
/// to change, refusing anything the change cannot be made safely on.
public struct GroupLoader {
    public var groups: [DiskGroup] = []
    public var metadata: [DiskMetadata] = []
    public var sources: [any SectorSource] = []
    /// Disks that could not be read, display-safe.
    public var errors: [String] = []

    public init(sources: [any SectorSource], explicit: Bool = true) {
        for s in sources {
            do {
                metadata.append(try DiskMetadata.read(from: s))
                self.sources.append(s)
            } catch let e as LDMError {
                if explicit || e.kind != .notLDM { errors.append(e.description) }
            } catch {
                errors.append("\(s.displayName): \(error)")
            }
        }
        let assembled = GroupAssembler.assemble(metadata)
        groups = assembled.groups
        errors += assembled.errors.map(\.description)
    }

    public static func open(_ paths: [DevicePath], imageSectorSize: Int) -> GroupLoader {
        let opened = DiskScanner(imageSectorSize: imageSectorSize).open(paths)
        var loader = GroupLoader(sources: opened.sources, explicit: !paths.isEmpty)
        loader.errors = opened.errors + loader.errors
        return loader
    }

    /// The group `selector` names (name or GUID; may be nil when exactly
    /// one group was found), checked editable.
    public func editable(_ selector: String?) throws(EditError) -> EditableGroup {
        let matching = selector.map { s in groups.filter { $0.name.display == s || $0.guid.text == s.lowercased() } } ?? groups
        guard !matching.isEmpty else {
            let known = groups.map { "\($0.name.display) (\($0.guid))" }.joined(separator: ", ")
            throw EditError(selector.map { "no disk group \(LDMName($0).display) found" + (known.isEmpty ? "" : " (found: \(known))") }
                            ?? "no disk group found")
        }
        guard matching.count == 1 else {
            throw EditError("\(matching.count) disk groups match\(selector.map { " \(LDMName($0).display)" } ?? ""): name one with --group NAME|GUID (\(matching.map { "\($0.name.display) \($0.guid)" }.joined(separator: ", ")))")
        }
        // A read error may be a member of this group: refuse rather than
        // change a group with a disk we could not read.
        guard errors.isEmpty else {
            throw EditError("not every disk could be read (\(errors.joined(separator: "; "))); refusing to change the database")
        }
        let g = matching[0]
        if g.cloneIndex > 0 || groups.contains(where: { $0.guid == g.guid && $0.cloneIndex != g.cloneIndex }) {
            throw EditError("disk group \(g.name.display) (\(g.guid)) is present more than once (a cloned disk set); refusing to change it")
        }
        return try EditableGroup.make(g, metadata: metadata, sources: sources)
    }
}
