/// A device or image path exactly as the user (or the kernel) gave it: raw
/// bytes, because a Linux path need not be UTF-8 and may hold spaces,
/// quotes or newlines. It is the disk's identity inside the program; it is
/// escaped only where text leaves (`display` for terminals and logs, JSON
/// escaping in `show --json`), and a table line names it only when
/// `isTableSafe`.
public struct DevicePath: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(_ string: String) { self.bytes = Array(string.utf8) }

    /// The path for humans: printable ASCII as is, every other byte `\xHH`
    /// (the same escaping as names read from disk). Interpolating a
    /// `DevicePath` into a message gives this.
    public var display: String { LDMName(bytes).display }
    public var description: String { display }

    /// The path as a String when its bytes are valid UTF-8 (nil otherwise,
    /// where a String would replace the bytes it cannot hold).
    public var string: String? { String(validating: bytes, as: UTF8.self) }

    /// Whether a device-mapper table line (and `dmsetup`'s files) can carry
    /// the path as one field: no whitespace, no control or non-ASCII bytes,
    /// none of the characters the kernel's argument splitter (`\`), a table
    /// file (`#` comments) or a shell would read specially.
    public var isTableSafe: Bool {
        !bytes.isEmpty && bytes.allSatisfy { b in
            LDMName.isDeviceSafe(b) || b == UInt8(ascii: "/") || b == UInt8(ascii: ":")
                || b == UInt8(ascii: "@") || b == UInt8(ascii: "=") || b == UInt8(ascii: "~")
        }
    }

    /// Calls `body` with the path as a NUL-terminated C string (for open(2)).
    /// A path with a NUL byte cannot name a file: `body` gets nil.
    public func withCString<R>(_ body: (UnsafePointer<CChar>?) throws -> R) rethrows -> R {
        guard !bytes.contains(0) else { return try body(nil) }
        return try (bytes + [0]).withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress) }
        }
    }

    public static func < (a: DevicePath, b: DevicePath) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}
