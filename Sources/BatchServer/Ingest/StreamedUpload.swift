import Synchronization

/// A file archived while it is uploaded. The loop thread that writes it
/// says how far it is written in order; the archiver's queue reads up to
/// there. An upload that stops being written in order (a write elsewhere
/// than at its end, a truncation) or is abandoned breaks the stream, and
/// the batch's archive is then built again from staging at seal time.
final class StreamedUpload: Sendable {
    /// An entry's header values known before its data: legacy `scp` sends
    /// the size first, so the header is written at once, not into a slot.
    struct Header: Sendable {
        let path: String
        let size: UInt64
        let mode: UInt32
        let mtime: Int64
    }

    let stagingPath: String
    /// The header, when the size was announced.
    let announced: Header?
    private let archiver: BatchArchiver
    private let size = Atomic<UInt64>(0)
    /// Set while a wake-up of the archiver is queued, so a burst of writes
    /// queues one.
    private let wakeQueued = Atomic<Bool>(false)
    private let broken = Atomic<Bool>(false)

    init(stagingPath: String, announced: Header?, archiver: BatchArchiver) {
        self.stagingPath = stagingPath
        self.announced = announced
        self.archiver = archiver
    }

    /// Bytes written in order from the start, all final.
    var writtenInOrder: UInt64 { size.load(ordering: .acquiring) }

    var isBroken: Bool { broken.load(ordering: .relaxed) }

    /// The file is written in order up to `newSize`: the archiver may take it.
    func grew(to newSize: UInt64) {
        size.store(newSize, ordering: .releasing)
        if !wakeQueued.exchange(true, ordering: .acquiringAndReleasing) {
            archiver.advance(self)
        }
    }

    /// Called by the archiver as it wakes, before it reads the size.
    func wokeUp() {
        wakeQueued.store(false, ordering: .releasing)
    }

    /// The upload can no longer be streamed; the archiver drops it.
    func breakOff() {
        guard !broken.exchange(true, ordering: .relaxed) else { return }
        archiver.breakStream(self)
    }
}
