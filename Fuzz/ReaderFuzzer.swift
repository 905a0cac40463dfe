import LDM
import DMTable
import LDMTestSupport
import Hotplug
import DeviceMapper
#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer entry point: the input is a few sparse disks (`FuzzDisks`),
/// named as the udev helper sees disks (`/dev/fuzzN`). Every path a
/// hostile disk reaches is run, and a violation of any rule traps, which
/// libFuzzer reports as a crash with the input saved:
///
/// 1. Each disk is read once (a disk reads the same alone, whatever else
///    is present), recording the bytes read, as the udev helper does.
/// 2. ldmctl's pipeline (assemble, plan, check names): every
///    `TableInvariants` rule holds, and the disks in the reverse order give
///    the same groups, tables and errors (docs/FORMAT.md, "Choosing the
///    configuration": the answer must not depend on the order).
/// 3. Each group's configuration comes from one of its present disks, and
///    the udev helper's record path agrees (`HostileChecks.records`).
/// 4. `show` and `show --json` output (`HostileChecks.show`).
/// 5. The udev probe, through a real file descriptor (`HostileChecks.probe`).
///
/// `LDM_FUZZ_TARGET` picks a part, so each execution is cheaper (see
/// `FuzzTarget`); unset, every part runs.
@_cdecl("LLVMFuzzerTestOneInput")
public func ldmFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var clock = StageClock()
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let target = FuzzTarget.current
    // The udev helper and probe see one disk per event.
    let (sectorSize, disks) = FuzzDisks.parse(input, limit: target == .disk ? 1 : FuzzDisks.maxDisks)
    guard !disks.isEmpty else { return 0 }
    let sources = disks.enumerated().map { i, d in
        SparseSectorSource(name: "/dev/fuzz\(i)", sectorSize: sectorSize, sectors: d.sectors, extents: d.extents)
    }
    clock.lap(0)
    var members: [DiskMetadata] = []
    var records: [RecordedDisk] = []
    var readErrors: [String] = []
    var readOK: [Bool] = []
    for (i, source) in sources.enumerated() {
        do {
            // The group target keeps no records, so it reads without
            // recording (a copy of every byte read).
            guard target != .group else {
                members.append(try DiskMetadata.read(from: source))
                readOK.append(true)
                continue
            }
            let recording = RecordingSectorSource(source)
            let m = try DiskMetadata.read(from: recording)
            members.append(m)
            records.append(RecordedDisk(
                number: DeviceNumber(major: 8, minor: UInt32(16 * i)), device: source.name,
                sectorSize: sectorSize, byteCount: source.byteCount, groupGUID: m.privateHeader.groupGUID,
                diskGUID: m.privateHeader.diskGUID, bytesRead: recording.bytesRead,
                partitions: Hotplug.partitionRoles(m), extents: recording.extents))
            readOK.append(true)
        } catch {
            readErrors.append("\(error)")
            readOK.append(false)
        }
    }

    // ldmctl's pipeline from the assembly on (each disk reads the same
    // alone, so the disks are read once and assembled in both orders),
    // with the disks as the kernel would show them (device numbers, the
    // LDM entries as partitions), so the planner's partition choice is
    // fuzzed too.
    clock.lap(1)
    if target == .disk {
        HostileChecks.records(records, members: members)
        clock.lap(6)
        HostileChecks.probe(disks, sectorSize: sectorSize, members: members, readOK: readOK)
        clock.lap(8)
        return 0
    }
    // The partition tables the reader read (the same source, the same
    // bytes) are not read and checksummed again; the planner maps members
    // only, so a refused disk's table does not matter to it.
    let tables = Dictionary(members.map { ($0.device, $0.partitionTable) }, uniquingKeysWith: { a, _ in a })
    let kernel = FuzzDisks.kernelView(sources, tables: tables)
    func pipeline(_ members: [DiskMetadata]) -> VolumePipeline.Result {
        let assembled = GroupAssembler.assemble(members)
        var result = VolumePipeline.checking.plan(assembled.groups, devices: kernel)
        result.diskErrors = readErrors + assembled.errors.map(\.description)
        return result
    }
    clock.lap(2)
    let first = pipeline(members)
    clock.lap(3)
    let violations = first.violations(devices: kernel)
    if !violations.isEmpty {
        for v in violations { warn("invariant violated: \(v)\n") }
        preconditionFailure("\(violations.count) invariant violation(s)")
    }
    clock.lap(4)
    let reversed = pipeline(Array(members.reversed()))
    check(first.groups == reversed.groups && first.stacks == reversed.stacks
          && first.errors.sorted() == reversed.errors.sorted(),
          "not deterministic: the same disks in another order give another result")

    clock.lap(5)
    HostileChecks.groups(first.groups)
    if target == .all { HostileChecks.records(records, members: members) }
    clock.lap(6)
    HostileChecks.show(first.groups, errors: first.errors)
    clock.lap(7)
    if target == .all { HostileChecks.probe(disks, sectorSize: sectorSize, members: members, readOK: readOK) }
    clock.lap(8)
    if getenv("LDM_FUZZ_VERBOSE") != nil {
        warn("disks \(disks.count) groups \(first.groups.count) volumes \(first.groups.map(\.volumes.count).reduce(0, +)) stacks \(first.stacks.count) errors \(first.errors)\n")
    }
    return 0
}

/// The fuzz targets (`LDM_FUZZ_TARGET`), one binary, one input format, so
/// they share seeds, regressions and a corpus. Together they run every
/// check of `all`: each disk is read alone in both, so nothing one target
/// checks depends on a part the other runs.
enum FuzzTarget: String {
    /// Everything, on every disk (the default).
    case all
    /// The first disk alone, as the udev helper sees a disk: read,
    /// recorded and read back from its record, and probed through a file.
    case disk
    /// All disks: assembly in both orders, the planner's invariants, where
    /// each configuration comes from, and `show`/`show --json`.
    case group

    nonisolated(unsafe) static var current = FuzzTarget.all
}

/// With LDM_FUZZ_WRITE_SEEDS=DIR the binary writes the seed corpus to DIR
/// and exits instead of fuzzing (see SeedWriter.swift).
@_cdecl("LLVMFuzzerInitialize")
public func ldmFuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    if let name = getenv("LDM_FUZZ_TARGET") {
        guard let target = FuzzTarget(rawValue: String(cString: name)) else {
            warn("LDM_FUZZ_TARGET: unknown target \(String(cString: name)) (all, disk or group)\n")
            exit(2)
        }
        FuzzTarget.current = target
    }
    if let dir = getenv("LDM_FUZZ_TIME") {
        exit(timeInputs(in: String(cString: dir)))
    }
    if let dir = getenv("LDM_FUZZ_WRITE_SEEDS") {
        let images = getenv("LDM_FUZZ_SEED_IMAGES").map { String(cString: $0) } ?? ""
        exit(SeedWriter.run(directory: String(cString: dir), imagePaths: images.split(separator: ":").map(String.init)))
    }
    return 0
}

/// AddressSanitizer keeps no allocation stacks (recording one per malloc
/// was a tenth of each run; a report still has the faulting stack) and no
/// quarantine of freed memory (fresh pages for every allocation were
/// another fifth, in page faults; Swift code does not use freed memory, so
/// the quarantine guards only the few unsafe-pointer paths).
@_cdecl("__asan_default_options")
public func ldmFuzzAsanOptions() -> UnsafePointer<CChar>? {
    // A static string (constant, NUL-terminated): this runs before
    // AddressSanitizer, let alone the Swift runtime, is set up.
    let options: StaticString = "malloc_context_size=0:quarantine_size_mb=0"
    return UnsafeRawPointer(options.utf8Start).assumingMemoryBound(to: CChar.self)
}

func warn(_ text: String) {
    var line = text
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// With LDM_FUZZ_TIME=DIR: CPU microseconds per run of each input in DIR, to
/// find what makes runs slow (see Scripts/fuzz).
func timeInputs(in dir: String) -> CInt {
    guard let d = opendir(dir) else { return 1 }
    defer { closedir(d) }
    while let entry = readdir(d) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        guard !name.hasPrefix("."), let f = fopen("\(dir)/\(name)", "rb") else { continue }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        fclose(f)
        StageClock.enabled = true
        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
        let rounds = 20
        for _ in 0..<rounds { _ = ldmFuzzOne(bytes, bytes.count) }
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
        let micros = ((end.tv_sec - start.tv_sec) * 1_000_000_000 + (end.tv_nsec - start.tv_nsec)) / 1000 / rounds
        print("\(micros) us  \(bytes.count) bytes  \(name)")
    }
    let total = max(StageClock.totals.reduce(0, +), 1)
    for (name, ns) in zip(StageClock.names, StageClock.totals) {
        print("stage \(name): \(ns / 1000) us (\(ns * 100 / total)%)")
    }
    return 0
}

/// CPU time per stage of a run, summed over the runs of LDM_FUZZ_TIME (off
/// while fuzzing: one flag test per stage).
struct StageClock {
    nonisolated(unsafe) static var enabled = false
    nonisolated(unsafe) static var totals = [Int](repeating: 0, count: names.count)
    static let names = ["decode", "read disks", "kernel view", "pipeline", "invariants", "pipeline reversed",
                        "groups+records", "show", "probe"]
    var last = timespec()

    init() { if Self.enabled { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &last) } }

    mutating func lap(_ stage: Int) {
        guard Self.enabled else { return }
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        Self.totals[stage] += (now.tv_sec - last.tv_sec) * 1_000_000_000 + (now.tv_nsec - last.tv_nsec)
        last = now
    }
}
