/// VMDB: the database header. It says how big a VBLK slot is, where the
/// first is, how many are in use, and how many records of each kind the
/// committed configuration has.
public struct VMDB: Equatable, Sendable {
    public var lastSequence: UInt32
    public var vblkSize: UInt32
    public var firstVBLKOffset: UInt32
    public var updateStatus: UInt16
    public var groupName: LDMName
    public var groupGUID: GUID?
    public var committedSequence: UInt64
    public var pendingSequence: UInt64
    public var volumeCount: UInt32
    public var componentCount: UInt32
    public var partitionCount: UInt32
    public var diskCount: UInt32
    /// The same four counts once the pending change is in (0xA1..0xAD).
    public var pendingCounts: [UInt32]

    static let magic = Array("VMDB".utf8)
    /// A slot must hold its 16-byte header and some record data; Windows
    /// writes 128. The upper bound keeps one slot within a 4 KiB sector.
    static let vblkSizes: ClosedRange<UInt32> = 32...4096

    /// Byte size of the slot area the header claims, checked against the
    /// `config` region it must fit in.
    public var slotAreaBytes: UInt64 { UInt64(lastSequence) * UInt64(vblkSize) }

    /// Volume, component, partition and disk counts of the committed
    /// configuration.
    public var committedCounts: [UInt32] { [volumeCount, componentCount, partitionCount, diskCount] }

    public static func parse(_ bytes: [UInt8], device: String, location: String,
                             configRegionBytes: UInt64) throws -> VMDB {
        func fail(_ kind: LDMError.Kind, _ field: String?, _ problem: String) -> LDMError {
            LDMError(kind, device: device, location: location, field: field, problem)
        }
        do {
            var c = ByteCursor(bytes)
            guard Array(try c.bytes(4)) == magic else { throw fail(.badMagic, "magic", "no \"VMDB\" signature") }
            let last = try c.u32(), size = try c.u32(), first = try c.u32()
            let status = try c.u16()
            let major = try c.u16(), minor = try c.u16()
            guard major == 4, minor == 10 else {
                throw fail(.unsupported, "version", "VMDB version \(major).\(minor) is not 4.10")
            }
            let name = try c.paddedBytes(31)
            let guidText = try c.paddedBytes(64)
            let committed = try c.u64(), pending = try c.u64()
            let vols = try c.u32(), comps = try c.u32(), parts = try c.u32(), disks = try c.u32()
            try c.seek(to: 0xA1)
            let pendingCounts = [try c.u32(), try c.u32(), try c.u32(), try c.u32()]
            guard vblkSizes.contains(size) else {
                throw fail(.invalid, "VBLK size", "\(size) bytes is outside \(vblkSizes)")
            }
            guard first >= 0x100, first % size == 0 else {
                throw fail(.invalid, "first VBLK offset", "\(first) is not a slot boundary after the header")
            }
            let vmdb = VMDB(lastSequence: last, vblkSize: size, firstVBLKOffset: first, updateStatus: status,
                            groupName: LDMName(name), groupGUID: GUID(text: guidText),
                            committedSequence: committed, pendingSequence: pending,
                            volumeCount: vols, componentCount: comps, partitionCount: parts, diskCount: disks,
                            pendingCounts: pendingCounts)
            guard vmdb.slotAreaBytes <= configRegionBytes else {
                throw fail(.invalid, "last VBLK sequence", "\(last) slots of \(size) bytes exceed the \(configRegionBytes)-byte config region")
            }
            return vmdb
        } catch let error as ByteCursor.CursorError {
            throw fail(.invalid, nil, "truncated: \(error)")
        }
    }
}
