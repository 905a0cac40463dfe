import DMTable
import DeviceMapper

extension Activator {
    /// The LDM devices in the kernel (UUID prefix `LDM-`), grouped into
    /// volumes: a volume is a device no other LDM device uses, together
    /// with the LDM devices its table uses (its `ldm_part_*` helpers).
    public func status() throws(ActivationError) -> [ActiveVolume] {
        let dm = deviceMapper
        let all: [DMDeviceInfo]
        do throws(DeviceMapperError) { all = try dm.list() } catch {
            throw Self.kernelError(error, volume: "status")
        }
        var devices: [DeviceNumber: ActiveDevice] = [:]
        for info in all where info.uuid.hasPrefix(DeviceNames.uuidPrefix) {
            do throws(DeviceMapperError) {
                devices[info.number] = try describe(info)
            } catch {
                if case .notFound = error { continue }  // removed while we looked
                throw Self.kernelError(error, volume: info.name)
            }
        }

        let used = Set(devices.values.flatMap(\.dependencies))
        let tops = devices.values.filter { !used.contains($0.number) }.sorted { $0.name < $1.name }
        var assigned = Set<DeviceNumber>()
        var volumes: [ActiveVolume] = []
        for top in tops {
            var ordered: [ActiveDevice] = []
            // Dependencies first, so the order is the creation order.
            func visit(_ number: DeviceNumber, depth: Int) {
                guard depth < 16, let device = devices[number], !assigned.contains(number) else { return }
                assigned.insert(number)
                for dep in device.dependencies { visit(dep, depth: depth + 1) }
                ordered.append(device)
            }
            visit(top.number, depth: 0)
            volumes.append(ActiveVolume(devices: ordered, health: Self.health(of: ordered)))
        }
        return volumes
    }

    private func describe(_ info: DMDeviceInfo) throws(DeviceMapperError) -> ActiveDevice {
        let dm = deviceMapper
        let table = try dm.table(name: info.name)
        let status = try dm.status(name: info.name)
        let targets = table.enumerated().map { i, target -> ActiveTarget in
            let line = i < status.count && status[i].start == target.start ? status[i].status : ""
            return ActiveTarget(start: target.start, length: target.length, type: target.type,
                                params: target.params, status: line,
                                health: DMRedundancyHealth.parse(type: target.type, tableParams: target.params,
                                                                 status: line))
        }
        let holders = (try? dm.holders(of: info.number)) ?? []
        return ActiveDevice(name: info.name, uuid: info.uuid, number: info.number, kernelName: info.kernelName,
                            openCount: info.openCount, readOnly: info.readOnly, suspended: info.suspended,
                            holders: holders, dependencies: try dm.dependencies(name: info.name),
                            targets: targets)
    }

    static func health(of devices: [ActiveDevice]) -> VolumeHealth {
        if devices.contains(where: \.suspended) { return .suspended }
        let targets = devices.flatMap(\.targets)
        // An `error` target stands in for a part whose disk is missing.
        if targets.contains(where: { $0.type == "error" || $0.health?.degraded == true }) { return .degraded }
        if targets.contains(where: { $0.health.map { !$0.inSync || $0.members.contains { $0.state == .aliveNotInSync } } ?? false }) {
            return .syncing
        }
        return .ok
    }
}
