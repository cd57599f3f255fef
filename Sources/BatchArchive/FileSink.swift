/// Writes segments to the archive file, asking the kernel to start writeback
/// every few MiB so the final `fsync` finds little left to write.
final class FileSink: SegmentSink {
    /// Writeback is started each time this much more has been written.
    private static let writebackStride: UInt64 = 8 << 20

    let file: OutputFile
    private var written: UInt64 = 0
    private var writebackStart: UInt64 = 0
    /// Where each header slot's block data starts in the file, in order.
    private(set) var slotOffsets: [UInt64] = []

    init(file: OutputFile) {
        self.file = file
    }

    func consume(_ segment: Segment) throws(ArchiveError) {
        if segment.isHeaderSlot {
            // After the stored block's own 5-byte header.
            slotOffsets.append(written + UInt64(Segment.storedHeaderSize))
        }
        try file.write(segment.output)
        written += UInt64(segment.outputCount)
        if written - writebackStart >= FileSink.writebackStride {
            try file.flush()
            file.startWriteback(from: writebackStart, count: written - writebackStart)
            writebackStart = written
        }
    }
}
