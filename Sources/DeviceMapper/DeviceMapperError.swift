#if canImport(Glibc)
import SystemIO
import Glibc
#endif

/// The operation a device-mapper call was doing when it failed.
public enum DMStep: String, Sendable, CustomStringConvertible {
    case validate
    case create          // DM_DEVICE_CREATE without table: the name and UUID
    case load            // DM_DEVICE_RELOAD: the table into the inactive slot
    case resume          // DM_DEVICE_RESUME: the inactive table goes live
    case remove          // DM_DEVICE_REMOVE
    case info            // DM_DEVICE_INFO
    case list            // DM_DEVICE_LIST
    case table           // DM_DEVICE_TABLE
    case status          // DM_DEVICE_STATUS
    case deps            // DM_DEVICE_DEPS
    case udevWait        // waiting for udev to finish with the device
    case sysfs           // reading /sys/dev/block/*/holders

    public var description: String {
        switch self {
        case .load: "load table"
        case .list: "list devices"
        case .udevWait: "udev wait"
        default: rawValue
        }
    }
}

/// What the kernel and libdevmapper said about a failed ioctl.
public struct DMFailure: Sendable, Equatable {
    public var step: DMStep
    public var device: String?
    /// errno of the ioctl (EBUSY, EINVAL, ENXIO, ...), 0 if unknown.
    public var errno: Int32
    /// libdevmapper's own log lines for this call.
    public var libraryMessages: [String]
    /// `device-mapper:` lines the kernel logged during this call (from
    /// /dev/kmsg; empty when that is not readable). This is where the real
    /// reason is, e.g. "table: 254:3: raid: Device lookup failed".
    public var kernelMessages: [String]

    public init(step: DMStep, device: String?, errno: Int32,
                libraryMessages: [String] = [], kernelMessages: [String] = []) {
        self.step = step
        self.device = device
        self.errno = errno
        self.libraryMessages = libraryMessages
        self.kernelMessages = kernelMessages
    }

    /// `EBUSY (Device or resource busy)`.
    public var errnoDescription: String {
        guard errno != 0 else { return "unknown error" }
        let text = SystemIO.describe(errno)
        if let name = errnoNames[errno] { return "\(name) (\(text))" }
        return "errno \(errno) (\(text))"
    }

    /// The kernel's reason without its `device-mapper: ` prefix, if it said
    /// one. The target's own line ("table: 254:7: raid: Component device(s)
    /// too small") says more than the generic ones after it ("ioctl: error
    /// adding target to table"), so it wins.
    public var kernelReason: String? {
        let prefix = "device-mapper: "
        let plain = kernelMessages.map { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }
        return plain.last(where: { $0.hasPrefix("table: ") }) ?? plain.last
    }
}

private let errnoNames: [Int32: String] = [
    EPERM: "EPERM", ENOENT: "ENOENT", ENXIO: "ENXIO", EIO: "EIO", ENOMEM: "ENOMEM",
    EACCES: "EACCES", EBUSY: "EBUSY", EEXIST: "EEXIST", ENODEV: "ENODEV",
    EINVAL: "EINVAL", ENOSPC: "ENOSPC", EROFS: "EROFS", ENOTTY: "ENOTTY",
    ENAMETOOLONG: "ENAMETOOLONG", ETIMEDOUT: "ETIMEDOUT",
]

public enum DeviceMapperError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidName(String, reason: String)
    case invalidUUID(String, reason: String)
    case invalidTable(device: String, reason: String)
    /// The device does not exist (for calls that need it to).
    case notFound(device: String, step: DMStep)
    /// An ioctl failed; the failure says which, on what, and why.
    case failed(DMFailure)
    /// udev did not confirm the device within the time limit; the call
    /// itself succeeded and libdevmapper's node fallback was run.
    case udevTimeout(device: String, step: DMStep, seconds: Int)
    /// libdevmapper could not even set up the task (out of memory, no
    /// /dev/mapper/control, ...).
    case library(step: DMStep, device: String?, messages: [String])

    public var device: String? {
        switch self {
        case .invalidName(let name, _): name
        case .invalidUUID: nil
        case .invalidTable(let device, _), .notFound(let device, _), .udevTimeout(let device, _, _): device
        case .failed(let failure): failure.device
        case .library(_, let device, _): device
        }
    }

    public var step: DMStep {
        switch self {
        case .invalidName, .invalidUUID, .invalidTable: .validate
        case .notFound(_, let step), .udevTimeout(_, let step, _), .library(let step, _, _): step
        case .failed(let failure): failure.step
        }
    }

    /// errno of the failed ioctl, or 0.
    public var errno: Int32 {
        if case .failed(let failure) = self { return failure.errno }
        return 0
    }

    /// The cause alone, without the step and device (which callers that
    /// carry them print themselves).
    public var reason: String {
        switch self {
        case .invalidName(let name, let reason):
            return "refusing device-mapper name '\(name)': \(reason)"
        case .invalidUUID(let uuid, let reason):
            return "refusing device-mapper UUID '\(uuid)': \(reason)"
        case .invalidTable(_, let reason):
            return "refusing the table: \(reason)"
        case .notFound:
            return "no such device-mapper device"
        case .failed(let f):
            var text = f.errnoDescription
            if let reason = f.kernelReason { text += "; kernel: \(reason)" }
            else if let lib = f.libraryMessages.last { text += "; libdevmapper: \(lib)" }
            return text
        case .udevTimeout(_, _, let seconds):
            return "udev did not finish within \(seconds) s"
        case .library(_, _, let messages):
            return "libdevmapper: " + (messages.last ?? "failed without a message")
        }
    }

    /// `<step> of '<device>': <reason>` (the step alone when no device).
    public var description: String {
        switch self {
        case .invalidName, .invalidUUID: reason
        default: "\(step)\(device.map { " of '\($0)'" } ?? ""): \(reason)"
        }
    }
}
