import DMTable

extension VolumePipeline {
    /// The pipeline users run, but planning groups with 4096-byte sectors
    /// too (users must ask for that with --4kn-extents logical), so the
    /// invariants and the fuzzer keep covering the planner's sector scaling.
    public static var checking: VolumePipeline {
        var p = VolumePipeline()
        p.acceptsLogical4KnExtents = true
        return p
    }
}
