/// A read position in an untrusted byte buffer. Every read is bounds-checked
/// and throws `CursorError.pastEnd` instead of trapping, so a crafted record
/// can never make the parser read outside the bytes it was given.
public struct ByteCursor: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    public enum CursorError: Error, Equatable, Sendable {
        /// A field at `offset` of `length` bytes does not fit in `size`.
        case pastEnd(offset: Int, length: Int, size: Int)
        /// A variable-length integer whose length byte is 0 or over 8.
        case badVarIntLength(offset: Int, length: Int)
    }

    private func check(_ length: Int) throws {
        guard length >= 0, offset >= 0, length <= bytes.count - offset else {
            throw CursorError.pastEnd(offset: offset, length: length, size: bytes.count)
        }
    }

    public mutating func seek(to position: Int) throws {
        guard position >= 0, position <= bytes.count else {
            throw CursorError.pastEnd(offset: position, length: 0, size: bytes.count)
        }
        offset = position
    }

    public mutating func skip(_ count: Int) throws {
        try check(count)
        offset += count
    }

    public mutating func bytes(_ count: Int) throws -> ArraySlice<UInt8> {
        try check(count)
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    public mutating func u8() throws -> UInt8 {
        try check(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Big-endian unsigned integer of `width` bytes (LDM is big-endian throughout).
    public mutating func bigEndian(_ width: Int) throws -> UInt64 {
        try check(width)
        var value: UInt64 = 0
        for i in 0..<width { value = value << 8 | UInt64(bytes[offset + i]) }
        offset += width
        return value
    }

    public mutating func u16() throws -> UInt16 { UInt16(try bigEndian(2)) }
    public mutating func u32() throws -> UInt32 { UInt32(try bigEndian(4)) }
    public mutating func u64() throws -> UInt64 { try bigEndian(8) }

    /// LDM "vnum": one length byte (1...8), then that many big-endian bytes.
    public mutating func varInt() throws -> UInt64 {
        let start = offset
        let length = Int(try u8())
        guard (1...8).contains(length) else {
            throw CursorError.badVarIntLength(offset: start, length: length)
        }
        return try bigEndian(length)
    }

    /// LDM "vstr": one length byte, then that many bytes (not NUL terminated).
    public mutating func varBytes() throws -> [UInt8] {
        let length = Int(try u8())
        return Array(try bytes(length))
    }

    /// Fixed-size NUL-padded field, cut at the first NUL.
    public mutating func paddedBytes(_ width: Int) throws -> [UInt8] {
        let field = try bytes(width)
        return Array(field.prefix { $0 != 0 })
    }
}
