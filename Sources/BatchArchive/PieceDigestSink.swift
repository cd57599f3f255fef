/// Digests each fixed-size piece of the archive, until a segment defers the
/// rest to `finish`.
final class PieceDigestSink: SegmentSink {
    private(set) var digests: PieceDigests
    /// Set once a segment deferred the pieces: from the one it starts in on,
    /// none is hashed here.
    private(set) var deferred = false

    init(pieceSize: Int) {
        digests = PieceDigests(pieceSize: pieceSize)
    }

    func consume(_ segment: Segment) throws(ArchiveError) {
        if segment.defersPieces { deferred = true }
        guard !deferred else { return }
        for span in segment.output {
            digests.update(span)
        }
    }

    /// The digests of the pieces hashed here: all of them, or, once
    /// deferred, those completed before.
    func finalize() -> [String] {
        deferred ? digests.completed : digests.finalize()
    }
}
