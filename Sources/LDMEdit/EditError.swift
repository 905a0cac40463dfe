/// Why a change was refused or failed. The text is already safe to print
/// (names and paths from disks or the command line are escaped).
public struct EditError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
