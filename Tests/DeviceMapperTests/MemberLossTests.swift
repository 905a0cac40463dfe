import DMTable
import DeviceMapper
import Testing
@testable import Activation

/// A redundant volume that lost a disk is reloaded with that member's slot
/// empty and the member's helper removed; nothing is ever added back.
@Suite struct MemberLossTests {
    /// mirrorStack() planned again without disk 8:32: helper b is not
    /// planned, its slot is `- -`.
    func withoutB() -> VolumeStack {
        var stack = mirrorStack()
        stack.devices.remove(at: 1)
        stack.devices[1].targets[0].params = "raid1 1 nosync 2 - 254:0 - -"
        return stack
    }

    func activeMirror(_ kernel: FakeKernel) throws -> (Activator, ActiveVolume) {
        let activator = Activator(deviceMapper: kernel, lockPath: nil)
        #expect(activator.activate(stacks: [mirrorStack()]).map(\.state) == [.activated])
        let live = try #require(try activator.status().first)
        return (activator, live)
    }

    @Test func reloadsWithTheSlotEmptyAndRemovesTheHelper() throws {
        let kernel = FakeKernel()
        let (activator, live) = try activeMirror(kernel)
        let removed = try activator.dropLostMembers(live, planned: withoutB())
        #expect(removed == ["ldm_part_b"])
        #expect(kernel.names == ["ldm_part_a", "ldm_vol"])
        #expect(try kernel.table(name: "ldm_vol").map(\.params) == ["raid1 1 nosync 2 - 254:0 - -"])
        // Again: nothing left to drop.
        let again = try #require(try activator.status().first)
        #expect(try activator.dropLostMembers(again, planned: withoutB()) == [])
    }

    @Test func neverAddsAMember() throws {
        let kernel = FakeKernel()
        let (activator, live) = try activeMirror(kernel)
        _ = try activator.dropLostMembers(live, planned: withoutB())
        let degraded = try #require(try activator.status().first)
        // Disk 8:32 is back: planning gives the whole mirror again, but
        // the running volume does not take the member back.
        #expect(throws: ActivationError.self) { try activator.dropLostMembers(degraded, planned: mirrorStack()) }
        #expect(kernel.names == ["ldm_part_a", "ldm_vol"])
    }

    @Test func refusesAnotherVolume() throws {
        let kernel = FakeKernel()
        let (activator, live) = try activeMirror(kernel)
        #expect(throws: ActivationError.self) { try activator.dropLostMembers(live, planned: mirrorStack("2")) }
        #expect(kernel.names == ["ldm_part_a", "ldm_part_b", "ldm_vol"])
    }
}
