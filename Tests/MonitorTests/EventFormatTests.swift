import Foundation
import Testing
import LDM
@testable import Monitor

@Suite struct EventFormatTests {
    static let hostile: [UInt8] = Array("Odd $x \"q' ;\n..".utf8)

    func event() -> TimedEvent {
        let g = GroupState(guid: "03c0c4fc-8b6f-402b-9431-4be2e5823b1c", name: LDMName("Grp;$(id)"), disks: [], volumes: [])
        let v = ObservedVolume(guid: "6e30daae-8e42-40fb-9af0-807416c3fede", name: LDMName(Self.hostile), active: true,
                            health: .degraded, failedMembers: [LDMName("D\u{1b}[2J")])
        let e = MonitorEvent(.volumeDegraded, group: g, volume: v, member: LDMName("D\u{1b}[2J"))
        return TimedEvent(e, time: "2026-12-02T01:02:03.004Z")
    }

    @Test func jsonIsOneLineAndExact() throws {
        let line = event().json
        #expect(!line.contains("\n") && !line.contains("\u{1b}"))
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["event"] == "volume-degraded")
        #expect(object["time"] == "2026-12-02T01:02:03.004Z")
        #expect(object["group"] == "Grp;$(id)")
        #expect(object["groupGuid"] == "03c0c4fc-8b6f-402b-9431-4be2e5823b1c")
        #expect(object["volume"].map { Array($0.utf8) } == Self.hostile)
        #expect(object["volumeGuid"] == "6e30daae-8e42-40fb-9af0-807416c3fede")
        #expect(object["member"] == "D\u{1b}[2J")
        #expect(object["health"] == "degraded")
        #expect(object["disk"] == nil && object["device"] == nil)
        // Keys in the documented order.
        #expect(line.hasPrefix(#"{"event":"volume-degraded","time":"#))
    }

    @Test func jsonOfInvalidUTF8IsTheDisplayForm() throws {
        var e = event()
        e.event.volume = LDMName([0x41, 0xFF, 0x42])
        let object = try #require(JSONSerialization.jsonObject(with: Data(e.json.utf8)) as? [String: String])
        #expect(object["volume"] == #"A\xffB"#)
    }

    @Test func textCannotForgeALineOrField() {
        let line = event().text
        #expect(!line.contains("\n") && !line.contains("\u{1b}") && !line.contains("'") && !line.contains("\""))
        #expect(line == #"2026-12-02T01:02:03.004Z volume-degraded group=Grp;$(id) groupGuid=03c0c4fc-8b6f-402b-9431-4be2e5823b1c volume=Odd $x \x22q\x27 ;\x0a.. volumeGuid=6e30daae-8e42-40fb-9af0-807416c3fede member=D\x1b[2J health=degraded"#)
    }

    @Test func environmentValuesAreExactBytes() {
        let env = event().environment
        #expect(env.contains(Array("LDM_VOLUME=".utf8) + Self.hostile))
        #expect(env.contains(Array("LDM_GROUP=Grp;$(id)".utf8)))
        #expect(env.contains(Array("LDM_MEMBER=D\u{1b}[2J".utf8)))
        #expect(env.contains(Array("LDM_EVENT=volume-degraded".utf8)))
        #expect(env.contains(Array("LDM_HEALTH=degraded".utf8)))
        #expect(env.map { String(decoding: $0.prefix { $0 != UInt8(ascii: "=") }, as: UTF8.self) }
                == ["LDM_EVENT", "LDM_TIME", "LDM_GROUP", "LDM_GROUP_GUID", "LDM_VOLUME", "LDM_VOLUME_GUID",
                    "LDM_MEMBER", "LDM_HEALTH"])
        // NUL cannot be in an environment value: the display form instead.
        var e = event()
        e.event.volume = LDMName([0x41, 0, 0x42])
        #expect(e.environment.contains(Array(#"LDM_VOLUME=A\x00B"#.utf8)))
    }

    @Test func rfc3339() {
        #expect(TimedEvent.rfc3339(seconds: 0, milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(TimedEvent.rfc3339(seconds: 1_796_173_323, milliseconds: 7) == "2026-12-02T01:02:03.007Z")
        let now = TimedEvent.now()
        #expect(now.count == 24 && now.hasSuffix("Z"))
    }
}
