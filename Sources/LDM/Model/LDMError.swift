/// Everything that can be wrong with a disk's metadata. Each error names the
/// device it came from, where on it (which structure and copy) and the field,
/// so a user can tell which disk of a group is at fault.
public struct LDMError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The device has no LDM metadata at all (not a dynamic disk).
        case notLDM = "not-ldm"
        /// Reading failed or stopped short.
        case io
        /// A structure's magic or version is wrong.
        case badMagic = "bad-magic"
        /// A field holds a value that is out of range or contradicts another.
        case invalid
        /// Copies or disks of one group disagree in a way we cannot resolve.
        case inconsistent
        /// A valid structure of a kind or revision this tool does not handle.
        case unsupported
    }

    public var kind: Kind
    /// Device or image path, as the user named it (already display-safe).
    public var device: String
    /// Structure, e.g. `PRIVHEAD (sector 6)` or `VBLK 12 (partition Disk1-01)`.
    public var location: String
    /// Field at fault, when one is.
    public var field: String?
    public var problem: String

    public init(_ kind: Kind, device: String, location: String, field: String? = nil, _ problem: String) {
        self.kind = kind
        self.device = device
        self.location = location
        self.field = field
        self.problem = problem
    }

    public var description: String {
        var s = "\(device): \(location)"
        if let field { s += ": \(field)" }
        return s + ": \(problem)"
    }
}
