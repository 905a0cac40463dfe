/// TOCBLOCK: the database's table of contents. Only its `config` bitmap
/// matters to a reader: that is where the VMDB and the VBLKs are.
public struct TOCBlock: Equatable, Sendable {
    /// The update sequence (u64 at 0x0C): Windows raises it with every new
    /// TOCBLOCK, so the highest valid one is current. (The u32 at 0x08 is
    /// the checksum, not a sequence.)
    public var updateSequence: UInt64
    /// Start and size of the `config` region, in logical sectors from the
    /// database start.
    public var configStart: UInt64
    public var configSize: UInt64
    public var logStart: UInt64
    public var logSize: UInt64

    static let magic = Array("TOCBLOCK".utf8)

    public static func parse(_ sector: [UInt8], device: String, location: String,
                             databaseSectors: UInt64) throws -> TOCBlock {
        func fail(_ kind: LDMError.Kind, _ field: String?, _ problem: String) -> LDMError {
            LDMError(kind, device: device, location: location, field: field, problem)
        }
        do {
            var c = ByteCursor(sector)
            guard Array(try c.bytes(8)) == magic else { throw fail(.badMagic, "magic", "no \"TOCBLOCK\" signature") }
            try LDMChecksum.verify(sector, device: device, location: location)
            try c.seek(to: 0x0C)
            let sequence = try c.u64()
            var regions: [String: (UInt64, UInt64)] = [:]
            for base in [0x24, 0x46] {
                try c.seek(to: base)
                let name = String(decoding: try c.paddedBytes(8), as: UTF8.self)
                try c.skip(2)
                let start = try c.u64(), size = try c.u64()
                regions[name] = (start, size)
            }
            guard let config = regions["config"] else { throw fail(.invalid, "bitmap name", "no \"config\" region") }
            guard let log = regions["log"] else { throw fail(.invalid, "bitmap name", "no \"log\" region") }
            for (name, (start, size)) in [("config", config), ("log", log)] {
                guard start < databaseSectors, size <= databaseSectors - start, size > 0 else {
                    throw fail(.invalid, "\(name) region", "sectors \(start)+\(size) lie outside the \(databaseSectors)-sector database")
                }
            }
            return TOCBlock(updateSequence: sequence, configStart: config.0, configSize: config.1,
                            logStart: log.0, logSize: log.1)
        } catch let error as ByteCursor.CursorError {
            throw fail(.invalid, nil, "truncated: \(error)")
        }
    }
}
