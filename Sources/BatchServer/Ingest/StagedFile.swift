import BatchCore
import Foundation

/// One uploaded file's bytes in the staging area. Its batch owns it and
/// touches it only under the batch's lock; its place in the tree (path,
/// archive order) is the batch's `BatchTree`, under the id `id`.
final class StagedFile {
    let id: Int
    /// Where the bytes are kept until the archive has them.
    let stagingPath: String
    private(set) var size: UInt64 = 0
    /// Permission bits, kept to what an archive may carry whoever sets
    /// them (an SFTP OPEN or SETSTAT, an scp header): never setuid, setgid
    /// or sticky.
    var mode: UInt32 = 0o644 {
        didSet { mode &= TarHeader.permissionBits }
    }
    var mtime: Int64?
    /// Open descriptor while a client has the file open; -1 otherwise.
    private(set) var descriptor: Int32
    /// Handles open on the file, over every channel of the batch; the
    /// descriptor stays open while there is one.
    private(set) var handles = 0
    /// True once the last handle was closed normally: only complete files
    /// are archived.
    private(set) var isComplete = false
    /// True when the last handle went with its channel, mid-upload: the
    /// file is kept to the bytes written without a gap, for a resume.
    private(set) var isInterrupted = false
    /// The batch's limits, which every growth and shrink of the file is counted against.
    private let budget: BatchBudget
    /// Set once the file left the batch and its bytes stopped counting.
    private var isReleased = false
    /// Set while the file is archived as it is written (see `OpenBatch`).
    var stream: StreamedUpload?
    /// The size the client said the file will have, before its data
    /// (legacy `scp`'s file header).
    var announcedSize: UInt64?
    /// Whether every byte so far was written at the end of what came
    /// before, from the start: what streaming needs.
    private(set) var isWrittenInOrder = true
    /// What has been written, for the gap-free part an interruption keeps.
    private var written = WrittenRanges()

    /// Where every byte written is counted, for metrics.
    private let counters: IngestCounters
    /// The user's open-file slots; one is held while `descriptor` is open.
    private let slots: OpenFileSlots

    /// Creates (empties) the staged copy and opens it for the first handle.
    init(id: Int, stagingPath: String, budget: BatchBudget, counters: IngestCounters,
         slots: OpenFileSlots) throws(IngestError) {
        self.id = id
        self.stagingPath = stagingPath
        self.budget = budget
        self.counters = counters
        self.slots = slots
        try slots.take()
        descriptor = open(stagingPath, O_WRONLY | O_CREAT | O_CLOEXEC | O_TRUNC, 0o600)
        guard descriptor >= 0 else {
            slots.give()
            throw .storage(String(cString: strerror(errno)))
        }
        handles = 1
    }

    deinit {
        closeDescriptor()
    }

    /// Closes the descriptor, if open, and gives its slot back.
    private func closeDescriptor() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
        slots.give()
    }

    var isOpen: Bool { descriptor >= 0 }

    /// The file as a client sees it (STAT, READDIR).
    var entry: DropEntry { .file(size: size, mode: mode, mtime: mtime) }

    /// Writes `data` at `offset`, growing the file as needed. Growth past
    /// the batch's limits is refused before anything is written.
    func write(_ data: UnsafeRawBufferPointer, at offset: UInt64) throws(IngestError) {
        guard isOpen else { throw .badHandle }
        let end = offset + UInt64(data.count)
        let growth = end > size ? Int64(end - size) : 0
        if offset != size { isWrittenInOrder = false }
        try budget.grow(by: growth)
        var done = 0
        while done < data.count {
            let n = pwrite(descriptor, data.baseAddress! + done, data.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                budget.shrink(by: growth)
                throw .storage(reason)
            }
            done += n
        }
        counters.ingestedBytes.add(data.count, ordering: .relaxed)
        written.insert(offset..<end)
        size = max(size, end)
        if let stream {
            if isWrittenInOrder { stream.grew(to: size) } else { stream.breakOff() }
        }
    }

    /// Truncates or extends the file, as SETSTAT with a size asks. An
    /// extension is a hole, not written bytes.
    func resize(to newSize: UInt64) throws(IngestError) {
        try cut(to: newSize)
        isWrittenInOrder = false
        stream?.breakOff()
    }

    private func cut(to newSize: UInt64) throws(IngestError) {
        if newSize > size { try budget.grow(by: Int64(newSize - size)) }
        guard truncate(stagingPath, off_t(newSize)) == 0 else {
            let reason = String(cString: strerror(errno))
            if newSize > size { budget.shrink(by: Int64(newSize - size)) }
            throw .storage(reason)
        }
        if newSize < size { budget.shrink(by: Int64(size - newSize)) }
        size = newSize
        written.truncate(to: newSize)
    }

    /// One handle is closed by its client. With the last one the upload of
    /// this file is complete.
    func closeHandle() {
        guard handles > 0 else { return }
        handles -= 1
        guard handles == 0 else { return }
        closeDescriptor()
        isComplete = true
        isInterrupted = false
    }

    /// One handle went with its channel, mid-upload. With the last one the
    /// file is kept to the bytes written from the start without a gap, so
    /// that a client resuming it (`reput`) continues from its size and the
    /// archive never holds a hole.
    func interruptHandle() {
        guard handles > 0 else { return }
        handles -= 1
        guard handles == 0, !isComplete else { return }
        closeDescriptor()
        isInterrupted = true
        let kept = written.prefix
        if kept < size {
            do throws(IngestError) {
                try cut(to: kept)
            } catch {
                // The bytes past the gap stay; the file is then only
                // usable whole again, not by a resume.
                isWrittenInOrder = false
            }
            stream?.breakOff()
        }
    }

    /// Takes the file out of the batch (replaced, removed, its write failed,
    /// or left out at seal): its bytes no longer count against the batch's
    /// limits, and its staged copy is deleted at once, so a disk filled by
    /// a failed upload has room again for the files after it.
    func abandon() {
        closeDescriptor()
        handles = 0
        if !isReleased {
            unlink(stagingPath)
            isReleased = true
            budget.shrink(by: Int64(size))
        }
        stream?.breakOff()
        stream = nil
    }

    /// Opens the file for another handle without emptying it (SFTP OPEN
    /// without TRUNC): a file being written gets a second writer, an
    /// interrupted one is resumed, and a complete one is reopened for
    /// changes (returns true then: its archived copy is stale).
    @discardableResult
    func reopen() throws(IngestError) -> Bool {
        if isOpen {
            handles += 1
            return false
        }
        let wasComplete = isComplete
        try slots.take()
        descriptor = open(stagingPath, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            slots.give()
            throw .storage(String(cString: strerror(errno)))
        }
        handles = 1
        isComplete = false
        isInterrupted = false
        if wasComplete {
            // Changes may land anywhere in a finished file.
            isWrittenInOrder = false
            written = WrittenRanges(whole: size)
        }
        return wasComplete
    }
}
