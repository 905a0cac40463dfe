/// Which records make up a disk's configuration when Windows was cut short
/// in the middle of a change.
///
/// Windows changes the database in steps, each on every disk of the group
/// before the next (as DiskAccessLibrary's `UpdateDatabase` describes it):
/// new and changed records are written with record status 2 (not yet
/// active) and the records they replace get status 1 (about to be deleted);
/// the VMDB goes to update status 2 with a pending sequence; the commit is
/// logged; the VMDB goes to status 3, the commit point; then the old records
/// are deleted, the new ones set to status 0, and the VMDB returns to status
/// 1 with the pending sequence committed. A change cut short before status 3
/// is rolled back when Windows next imports the group, one cut short after
/// it is rolled forward. Never are old and new records read together.
public enum ChangeState: Equatable, Sendable {
    /// VMDB status 1: nothing in flight.
    case consistent
    /// VMDB status 2 (or a pending sequence above the committed one):
    /// before the commit point; the old records (status 0 and 1) stand.
    case rolledBack(pending: UInt64)
    /// VMDB status 3: past the commit point; the new records (status 0 and 2)
    /// stand, under the pending sequence.
    case rolledForward(to: UInt64)

    /// Record status values at VBLK record offset 0x10.
    static let active: UInt16 = 0, activePendingDeletion: UInt16 = 1, pendingActivation: UInt16 = 2

    /// The state a VMDB describes, or an error for an update status whose
    /// meaning no source documents (4 abort, 5 new, 6 stale, 8 offline in
    /// Windows' own diagnostics): those are not guessed at.
    static func of(_ vmdb: VMDB, device: String, location: String) throws -> ChangeState {
        switch vmdb.updateStatus {
        case 1 where vmdb.pendingSequence <= vmdb.committedSequence: return .consistent
        case 1, 2: return .rolledBack(pending: vmdb.pendingSequence)
        case 3: return .rolledForward(to: vmdb.pendingSequence)
        default:
            throw LDMError(.unsupported, device: device, location: location, field: "update status",
                           "VMDB update status \(vmdb.updateStatus) is not 1 (consistent), 2 (change before its commit point) or 3 (change past its commit point); ldmctl does not guess what Windows meant: import the disk group in Windows to finish or undo the change")
        }
    }

    /// Whether a record with `status` belongs to the configuration.
    func keeps(_ status: UInt16) -> Bool {
        switch self {
        case .consistent, .rolledBack: return status != Self.pendingActivation
        case .rolledForward: return status != Self.activePendingDeletion
        }
    }

    /// The record counts the kept records must match.
    func expectedCounts(_ vmdb: VMDB) -> [UInt32] {
        if case .rolledForward = self { return vmdb.pendingCounts }
        return vmdb.committedCounts
    }

    /// The configuration's sequence: what the group's disks compare.
    func sequence(_ vmdb: VMDB) -> UInt64 {
        if case .rolledForward(let to) = self { return to }
        return vmdb.committedSequence
    }
}
