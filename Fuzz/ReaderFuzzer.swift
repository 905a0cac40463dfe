import LDM
import DMTable
import LDMTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer entry point: the input is a few sparse disks (`FuzzDisks`).
/// They go through the whole path ldmctl takes (read each disk, assemble
/// groups, plan every volume, check names are unique); then every
/// `TableInvariants` rule must hold, a second run must give the same
/// result, and so must the disks given in the reverse order. Any violation
/// traps, which libFuzzer reports as a crash with the input saved.
@_cdecl("LLVMFuzzerTestOneInput")
public func ldmFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let disks = FuzzDisks.decode(input)
    guard !disks.isEmpty else { return 0 }
    let kernel = FuzzDisks.kernelView(disks)
    let first = VolumePipeline().run(disks, devices: kernel)
    let violations = first.violations(devices: kernel)
    if !violations.isEmpty {
        for v in violations { warn("invariant violated: \(v)\n") }
        preconditionFailure("\(violations.count) invariant violation(s)")
    }
    // Deterministic: the disks in the reverse order (which is also a second
    // run, with fresh dictionaries) give the same groups and tables, and the
    // same errors up to their order.
    let reversed = VolumePipeline().run(Array(disks.reversed()), devices: kernel)
    precondition(first.groups == reversed.groups && first.stacks == reversed.stacks
                 && first.errors.sorted() == reversed.errors.sorted(),
                 "not deterministic: the same disks in another order give another result")
    if getenv("LDM_FUZZ_VERBOSE") != nil {
        warn("disks \(disks.count) groups \(first.groups.count) volumes \(first.groups.map(\.volumes.count).reduce(0, +)) stacks \(first.stacks.count) errors \(first.errors)\n")
    }
    return 0
}

/// With LDM_FUZZ_WRITE_SEEDS=DIR the binary writes the seed corpus to DIR
/// and exits instead of fuzzing (see SeedWriter.swift).
@_cdecl("LLVMFuzzerInitialize")
public func ldmFuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    if let dir = getenv("LDM_FUZZ_WRITE_SEEDS") {
        let images = getenv("LDM_FUZZ_SEED_IMAGES").map { String(cString: $0) } ?? ""
        exit(SeedWriter.run(directory: String(cString: dir), imagePaths: images.split(separator: ":").map(String.init)))
    }
    return 0
}

func warn(_ text: String) {
    var line = text
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
