/// Digests each fixed-size piece of the archive.
final class PieceDigestSink: SegmentSink {
    private(set) var digests: PieceDigests

    init(pieceSize: Int) {
        digests = PieceDigests(pieceSize: pieceSize)
    }

    func consume(_ segment: Segment) throws(ArchiveError) {
        for span in segment.output {
            digests.update(span)
        }
    }
}
