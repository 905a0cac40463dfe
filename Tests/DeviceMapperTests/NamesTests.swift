import DMTable
import Testing
@testable import DeviceMapper

@Suite struct NamesTests {
    @Test func acceptsPlannerNames() throws {
        try DMNames.validateName("ldm_part_Disk1-Volume1_0")
        try DMNames.validateUUID("LDM-03c0c4fc-8b6f-402b-9431-4be2e5823b1c-Volume1")
        try DMNames.validateName(String(repeating: "a", count: 127))
        try DMNames.validateUUID(String(repeating: "a", count: 128))
    }

    @Test(arguments: ["", "a b", "a/b", "..", ".", "tab\t", "ü", "x$", String(repeating: "a", count: 128)])
    func refusesBadNames(_ name: String) {
        #expect(throws: DeviceMapperError.self) { try DMNames.validateName(name) }
    }

    @Test func refusesLongUUID() {
        #expect(throws: DeviceMapperError.self) {
            try DMNames.validateUUID(String(repeating: "a", count: 129))
        }
    }

    @Test func refusesImageFiles() throws {
        // An image file has no device number: the kernel cannot load it.
        let image = TableMember(number: nil, tablePath: "/tmp/disk.img", display: "/tmp/disk.img")
        let device = DMDevice(name: "v", uuid: "LDM-x", targets: [
            DMTarget(start: 0, length: 10, type: "linear", arguments: [.member(image), .word("63")]),
        ])
        #expect(throws: DeviceMapperError.self) { try DMNames.validateTable(device) }
        var disk = device
        disk.targets[0].arguments[0] = .member(TableMember(number: DeviceNumber(major: 8, minor: 16), tablePath: nil, display: "x"))
        try DMNames.validateTable(disk)
        #expect(disk.targets[0].params == "8:16 63")
    }

    @Test func tableShape() throws {
        let ok = DMDevice(name: "v", uuid: "LDM-x", targets: [
            DMTarget(start: 0, length: 10, type: "linear", params: "8:16 0"),
            DMTarget(start: 10, length: 5, type: "linear", params: "8:32 0"),
        ])
        try DMNames.validateTable(ok)
        var gap = ok
        gap.targets[1].start = 11
        #expect(throws: DeviceMapperError.self) { try DMNames.validateTable(gap) }
        var newline = ok
        newline.targets[0].params = "8:16 0\n0 1 error"
        #expect(throws: DeviceMapperError.self) { try DMNames.validateTable(newline) }
        #expect(throws: DeviceMapperError.self) {
            try DMNames.validateTable(DMDevice(name: "v", uuid: "LDM-x", targets: []))
        }
    }

    @Test func deviceNumbers() {
        #expect(DeviceNumber(encoded: 0x0000_0000_0000_fe03) == DeviceNumber(major: 254, minor: 3))
        // minor 300 needs the high minor bits.
        #expect(DeviceNumber(encoded: (254 << 8) | 0x2c | (1 << 20)) == DeviceNumber(major: 254, minor: 300))
        #expect(DeviceNumber("8:16") == DeviceNumber(major: 8, minor: 16))
        #expect(DeviceNumber("8:") == nil)
    }
}

@Suite struct HealthTests {
    @Test func raid1InSync() throws {
        let h = try #require(DMRedundancyHealth.parse(
            type: "raid", tableParams: "raid1 3 0 region_size 1024 2 - 7:0 - 7:1",
            status: "raid1 2 AA 204800/204800 idle 0 0 -"))
        #expect(h.level == "raid1")
        #expect(h.members.map(\.device) == ["7:0", "7:1"])
        #expect(h.members.map(\.state) == [.alive, .alive])
        #expect(h.inSync && !h.degraded)
        #expect(h.syncAction == "idle" && h.mismatchCount == 0)
    }

    @Test func raid5Degraded() throws {
        let h = try #require(DMRedundancyHealth.parse(
            type: "raid", tableParams: "raid5_ls 2 128 nosync 3 - 7:0 - - - 7:2",
            status: "raid5_ls 3 ADa 100/200 recover 0 0 -"))
        #expect(h.members.map(\.device) == ["7:0", "-", "7:2"])
        #expect(h.members.map(\.state) == [.alive, .dead, .aliveNotInSync])
        #expect(h.degraded && !h.inSync)
    }

    /// As kernel 6.1 prints a raid5 started with its middle leg missing.
    @Test func raid5MissingLeg() throws {
        let h = try #require(DMRedundancyHealth.parse(
            type: "raid", tableParams: "raid5_ls 2 128 nosync 3 - 254:2 - - - 254:4",
            status: "raid5_ls 3 A-A 96256/96256 idle 0 0 -"))
        #expect(h.members.map(\.state) == [.alive, .missing, .alive])
        #expect(h.members[1].device == "-")
        #expect(h.degraded && h.inSync)
    }

    @Test func mirror() throws {
        let h = try #require(DMRedundancyHealth.parse(
            type: "mirror", tableParams: "", status: "2 254:1 254:2 2048/2048 1 AD 1 core"))
        #expect(h.members.map(\.device) == ["254:1", "254:2"])
        #expect(h.members.map(\.state) == [.alive, .dead])
    }

    @Test func garbage() {
        #expect(DMRedundancyHealth.parse(type: "raid", tableParams: "", status: "raid1 2 A") == nil)
        #expect(DMRedundancyHealth.parse(type: "linear", tableParams: "", status: "") == nil)
    }
}
