import LDM

/// One disk as the pipeline takes it: where its bytes come from, and how
/// the kernel knows it (nil for an image file or a test's disk).
public struct PipelineDisk {
    public var source: any SectorSource
    public var device: DiskDevice?

    public init(source: any SectorSource, device: DiskDevice? = nil) {
        self.source = source
        self.device = device
    }
}

/// The whole path from disks to device stacks: read each disk, assemble
/// the groups, plan the chosen volumes, refuse them all if two devices
/// would share a name or UUID. `ldmctl table`, `ldmctl activate`, the udev
/// helper and the fuzzer all go through `run` (or, where the disks were
/// read and assembled already, `plan`), so the fuzzer checks what users run.
public struct VolumePipeline {
    public var allowDegraded = true
    public var wholeDisk = false
    /// A system scan passes false: a device without LDM metadata is then
    /// not an error.
    public var reportNonLDM = true
    /// Which volumes to plan; all when nil.
    public var select: ((DiskGroup, Volume) -> Bool)?
    /// Plan groups with 4096-byte sectors, reading their extents in logical
    /// sectors. Off unless a user asks: whether Windows keeps extents in
    /// 4096- or 512-byte units there is not settled (docs/FORMAT.md,
    /// "4096-byte logical sectors"), and a wrong guess maps the wrong sectors.
    public var acceptsLogical4KnExtents = false
    /// Set by hotplug and the boot unit: a group Windows marks not to be
    /// imported automatically (PRIVHEAD flag 0x02) is then left alone; a
    /// user's own `activate` still builds it.
    public var automatic = false

    public init(allowDegraded: Bool = true, wholeDisk: Bool = false, reportNonLDM: Bool = true,
                select: ((DiskGroup, Volume) -> Bool)? = nil) {
        self.allowDegraded = allowDegraded
        self.wholeDisk = wholeDisk
        self.reportNonLDM = reportNonLDM
        self.select = select
    }

    public struct Result: Equatable, Sendable {
        public var groups: [DiskGroup]
        /// Disks that could not be read and groups that could not be built,
        /// as display-safe text.
        public var diskErrors: [String]
        /// Chosen volumes that cannot be planned (incomplete, refused
        /// degraded, a layout device-mapper cannot present).
        public var planErrors: [PlanError]
        /// Set when two planned devices would share a name or UUID; then
        /// `stacks` is empty.
        public var conflict: PlanError?
        /// The planned volumes, in group and volume order.
        public var stacks: [VolumeStack]

        /// Every error as text, in order.
        public var errors: [String] {
            diskErrors + planErrors.map(\.description) + (conflict.map { [$0.description] } ?? [])
        }
    }

    public func run(_ disks: [PipelineDisk]) -> Result {
        var members: [DiskMetadata] = []
        var errors: [String] = []
        var devices: [DevicePath: DiskDevice] = [:]
        for d in disks {
            do {
                members.append(try DiskMetadata.read(from: d.source))
                if let device = d.device { devices[d.source.path] = device }
            } catch let error as LDMError {
                if reportNonLDM || error.kind != .notLDM { errors.append(error.description) }
            } catch {
                errors.append("\(d.source.displayName): \(error)")
            }
        }
        let assembled = GroupAssembler.assemble(members)
        var result = plan(assembled.groups, devices: devices)
        result.diskErrors = errors + assembled.errors.map(\.description)
        return result
    }

    /// Plans the chosen volumes of groups already assembled.
    public func plan(_ groups: [DiskGroup], devices: [DevicePath: DiskDevice]) -> Result {
        let planner = TablePlanner(devices: devices, wholeDisk: wholeDisk)
        var result = Result(groups: groups, diskErrors: [], planErrors: [], conflict: nil, stacks: [])
        for g in groups {
            for v in g.volumes where select?(g, v) ?? true {
                guard !(automatic && g.privateHeaderFlags.contains(.noAutoImport)) else {
                    result.planErrors.append(PlanError(group: g.name.display, volume: v.name.display, problem: Self.noAutoImport))
                    continue
                }
                guard g.sectorSize == 512 || acceptsLogical4KnExtents else {
                    result.planErrors.append(PlanError(group: g.name.display, volume: v.name.display, problem: Self.unsettled4Kn))
                    continue
                }
                do {
                    result.stacks.append(try planner.plan(g, v, allowDegraded: allowDegraded))
                } catch let error as PlanError {
                    result.planErrors.append(error)
                } catch {
                    result.planErrors.append(PlanError(group: g.name.display, volume: v.name.display, problem: "\(error)"))
                }
            }
        }
        do {
            try TablePlanner.checkUnique(result.stacks)
        } catch let error as PlanError {
            result.conflict = error
            result.stacks = []
        } catch {}
        return result
    }
}

extension VolumePipeline {
    public static let noAutoImport = "Windows marks this disk group not to be imported automatically: left alone; activate it by hand (ldmctl activate --group NAME) if you mean to"
    public static let unsettled4Kn = "the disks have 4096-byte sectors, and whether Windows records extents there in 4096- or 512-byte units is not settled (docs/FORMAT.md, \"4096-byte logical sectors\"): not planned rather than guessed. To use ldmctl's reading (logical sectors, as libldm), pass --4kn-extents logical and check the volume read-only first"

    /// Disks from memory (the fuzzer's, a test's), with what the kernel
    /// knows of them, if anything; without, each table line names the disk
    /// by its path.
    public func run(_ sources: [some SectorSource], devices: [DevicePath: DiskDevice] = [:]) -> Result {
        run(sources.map { PipelineDisk(source: $0, device: devices[$0.path]) })
    }
}
