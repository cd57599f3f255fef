/// One consumer of the archive's bytes (a digest, the file), fed every
/// segment in archive order on a thread of its own.
///
/// `ArchivePipeline` calls `consume` from one thread at a time and reads a
/// sink's results only after every segment has been consumed, so a sink
/// needs no lock of its own.
protocol SegmentSink: AnyObject {
    /// Takes the next segment's output, after all earlier segments'.
    func consume(_ segment: Segment) throws(ArchiveError)
}
