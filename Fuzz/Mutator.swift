import LDMTestSupport

/// libFuzzer's own mutator, for use inside the custom one.
@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// Structure-aware mutation: most of the time one extent of one disk is
/// mutated in place and the input re-encoded, so the framing (extent
/// offsets and lengths) survives and a changed VBLK field stays where the
/// reader looks for it. Otherwise the raw input is mutated, which changes
/// disk sizes, extent offsets and the number of disks.
@_cdecl("LLVMFuzzerCustomMutator")
public func ldmFuzzMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var rng = seed
    func random(_ n: Int) -> Int {
        rng = rng &* 1_103_515_245 &+ 12345
        return Int((rng >> 8) % UInt32(max(n, 1)))
    }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var (sectorSize, disks) = FuzzDisks.parse(input)
    let extents = disks.indices.flatMap { d in disks[d].extents.indices.map { (d, $0) } }
    guard random(10) >= 2, !extents.isEmpty else {
        return LLVMFuzzerMutate(data, size, maxSize)
    }
    // Bigger extents (the VBLK area) are picked more often.
    let weights = extents.map { min(disks[$0.0].extents[$0.1].bytes.count, 4096) + 16 }
    var pick = random(weights.reduce(0, +))
    var chosen = extents[0]
    for (e, w) in zip(extents, weights) {
        if pick < w { chosen = e; break }
        pick -= w
    }
    var bytes = disks[chosen.0].extents[chosen.1].bytes
    let original = bytes.count
    let room = random(4) == 0 ? 64 : 0
    bytes += [UInt8](repeating: 0, count: room + 1)
    let n = bytes.withUnsafeMutableBufferPointer { LLVMFuzzerMutate($0.baseAddress!, original, original + room) }
    bytes.removeLast(bytes.count - n)
    // Mostly keep the length, so later fields do not move.
    if n < original, random(2) == 0 { bytes += [UInt8](repeating: 0, count: original - n) }
    disks[chosen.0].extents[chosen.1].bytes = bytes
    let out = FuzzDisks.encode(sectorSize: sectorSize, disks: disks)
    guard out.count <= maxSize else { return LLVMFuzzerMutate(data, size, maxSize) }
    out.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: out.count) }
    return out.count
}
