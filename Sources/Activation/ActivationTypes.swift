import DMTable
import DeviceMapper

/// How `Activator.activate` applies stacks.
public struct ActivationOptions: Sendable, Equatable {
    /// Create every device read-only (tables opened without write access).
    public var readOnly: Bool
    /// Change nothing; report the steps that would be taken.
    public var dryRun: Bool

    public init(readOnly: Bool = false, dryRun: Bool = false) {
        self.readOnly = readOnly
        self.dryRun = dryRun
    }
}

/// One step on one device-mapper device, done or (dry run) to be done.
public struct PlannedStep: Sendable, Equatable, CustomStringConvertible {
    public enum Action: String, Sendable {
        case create
        /// Already in the kernel with this UUID and table; used as it is.
        case keep
        case remove
    }

    public var action: Action
    public var device: String
    public var uuid: String
    public var readOnly: Bool
    /// Table lines (create only).
    public var table: [String]

    public init(action: Action, device: String, uuid: String, readOnly: Bool = false, table: [String] = []) {
        self.action = action
        self.device = device
        self.uuid = uuid
        self.readOnly = readOnly
        self.table = table
    }

    /// The equivalent dmsetup command, for dry runs and logs.
    public var description: String {
        switch action {
        case .create:
            let ro = readOnly ? " --readonly" : ""
            let lines = table.joined(separator: "\\n")
            return "dmsetup create \(device) --uuid \(uuid)\(ro) --table $'\(lines)'"
        case .keep:
            return "# keep \(device) (already active with the same UUID and table)"
        case .remove:
            return "dmsetup remove \(device)"
        }
    }
}

/// Why a volume was not (de)activated. Carries the device and the step,
/// and the kernel's own words where it gave any.
public struct ActivationError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The stack itself is unusable (bad name, UUID, table shape).
        case invalidStack = "invalid-stack"
        /// A device of the stack exists with another UUID or table.
        case conflict
        /// Open, mounted or held by another device; left alone.
        case busy
        /// A device-mapper call failed.
        case kernel
        /// The activation lock could not be taken.
        case lock
    }

    public var kind: Kind
    /// `group/volume` as read from the disks, or the top device name.
    public var volume: String
    public var device: String?
    /// create, load table, resume, remove, info, table, ...
    public var step: String?
    /// Index and type of the target the kernel complained about, when its
    /// message named the type and only one target has it.
    public var targetIndex: Int?
    public var targetType: String?
    public var reason: String
    /// errno of the failed ioctl, 0 if none.
    public var errno: Int32
    public var kernelMessages: [String]
    public var libraryMessages: [String]
    /// What was undone after the failure, and anything that could not be.
    public var rollback: [String]

    public init(kind: Kind, volume: String, device: String? = nil, step: String? = nil,
                targetIndex: Int? = nil, targetType: String? = nil, reason: String,
                errno: Int32 = 0, kernelMessages: [String] = [], libraryMessages: [String] = [],
                rollback: [String] = []) {
        self.kind = kind
        self.volume = volume
        self.device = device
        self.step = step
        self.targetIndex = targetIndex
        self.targetType = targetType
        self.reason = reason
        self.errno = errno
        self.kernelMessages = kernelMessages
        self.libraryMessages = libraryMessages
        self.rollback = rollback
    }

    public var description: String {
        "\(volume): \(detail)"
    }

    /// The description without the volume, for callers that name it first.
    public var detail: String {
        var text = ""
        if let step, let device { text += "\(step) of \(device)" } else if let device { text += device } else if let step { text += step }
        if let targetIndex, let targetType { text += " (target \(targetIndex), \(targetType))" }
        text += (step != nil || device != nil ? ": " : "") + reason
        if !rollback.isEmpty { text += " [rollback: " + rollback.joined(separator: "; ") + "]" }
        return text
    }
}

/// What `activate` did for one volume.
public struct VolumeActivation: Sendable, Equatable {
    public enum State: String, Sendable {
        case activated
        /// The top device already runs this stack's table; nothing done.
        case alreadyActive = "already-active"
        /// Dry run: `steps` is what would be done.
        case planned
        case failed
    }

    public var groupName: String
    public var volumeName: String
    /// The volume's own device (the stack's top).
    public var device: String
    public var state: State
    /// Devices this run created (empty after a failure: they were removed).
    public var created: [String]
    public var steps: [PlannedStep]
    public var error: ActivationError?
    /// The planner's notes for the volume (degraded legs, ...).
    public var notes: [String]
}

/// What `deactivate` did for one volume.
public struct VolumeDeactivation: Sendable, Equatable {
    public enum State: String, Sendable {
        case removed
        /// None of its devices is in the kernel.
        case notActive = "not-active"
        /// Open or held; nothing removed. `error` names the device.
        case busy
        /// Dry run: `steps` is what would be done.
        case planned
        case failed
    }

    public var groupName: String
    public var volumeName: String
    public var device: String
    public var state: State
    public var removed: [String]
    public var steps: [PlannedStep]
    public var error: ActivationError?
}

// MARK: Status

/// The overall state of an active volume, from its targets' status.
public enum VolumeHealth: String, Sendable {
    case ok
    /// A member is dead or failed, or a missing part is mapped to `error`.
    case degraded
    /// Redundancy is being (re)built: a member not yet in sync.
    case syncing
    /// A device of the stack is suspended: I/O to it waits.
    case suspended
}

public struct ActiveTarget: Sendable, Equatable {
    public var start: UInt64
    public var length: UInt64
    public var type: String
    /// The live table's parameters.
    public var params: String
    /// The kernel's status line for the target.
    public var status: String
    /// For raid and mirror targets.
    public var health: DMRedundancyHealth?
}

public struct ActiveDevice: Sendable, Equatable {
    public var name: String
    public var uuid: String
    /// major:minor
    public var number: DeviceNumber
    /// dm-N
    public var kernelName: String
    public var openCount: Int
    public var readOnly: Bool
    public var suspended: Bool
    /// Kernel names of the block devices stacked on this one.
    public var holders: [String]
    /// The block devices its table uses.
    public var dependencies: [DeviceNumber]
    public var targets: [ActiveTarget]
}

/// An LDM volume as the kernel has it: its devices, helpers first and the
/// volume's own device last (the order they are created in).
public struct ActiveVolume: Sendable, Equatable {
    public var devices: [ActiveDevice]
    public var health: VolumeHealth

    public var top: ActiveDevice { devices[devices.count - 1] }
    public var name: String { top.name }
    public var uuid: String { top.uuid }
    /// Whether anything outside the stack uses it (mounted, open, held).
    public var inUse: Bool { top.openCount > 0 || !top.holders.isEmpty }
}
