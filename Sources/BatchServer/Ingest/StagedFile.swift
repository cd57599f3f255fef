import BatchCore
import Foundation

/// One uploaded file's bytes in the staging area. Confined to the loop
/// thread of the channel that writes it.
final class StagedFile {
    /// Path inside the batch, below the destination ("nightly/a.txt").
    var path: String
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
    /// Open descriptor while the client is writing; -1 once closed.
    private(set) var descriptor: Int32
    /// True once the client closed the file: only complete files are archived.
    private(set) var isComplete = false
    /// True once its bytes were handed to the archiver under `path`.
    var isArchived = false
    /// Order of completion, which is the order inside the archive.
    var sequence = 0
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

    /// Where every byte written is counted, for metrics.
    private let counters: IngestCounters
    /// The user's open-file slots; one is held while `descriptor` is open.
    private let slots: OpenFileSlots

    init(path: String, stagingPath: String, truncate: Bool, budget: BatchBudget, counters: IngestCounters,
         slots: OpenFileSlots) throws(IngestError) {
        self.path = path
        self.stagingPath = stagingPath
        self.budget = budget
        self.counters = counters
        self.slots = slots
        try slots.take()
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0)
        descriptor = open(stagingPath, flags, 0o600)
        guard descriptor >= 0 else {
            slots.give()
            throw .storage(String(cString: strerror(errno)))
        }
        if !truncate {
            var info = stat()
            if fstat(descriptor, &info) == 0 { size = UInt64(info.st_size) }
            isWrittenInOrder = false
        }
        do {
            try budget.grow(by: Int64(size))
        } catch {
            closeDescriptor()
            throw error
        }
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
        size = max(size, end)
        if let stream {
            if isWrittenInOrder { stream.grew(to: size) } else { stream.breakOff() }
        }
    }

    /// Writes `bytes` at `offset`.
    func write(_ bytes: [UInt8], at offset: UInt64) throws(IngestError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(IngestError) in try write(buffer, at: offset) }
        }
        try result.get()
    }

    /// Truncates or extends the file, as SETSTAT with a size asks.
    func resize(to newSize: UInt64) throws(IngestError) {
        if newSize > size { try budget.grow(by: Int64(newSize - size)) }
        guard truncate(stagingPath, off_t(newSize)) == 0 else {
            let reason = String(cString: strerror(errno))
            if newSize > size { budget.shrink(by: Int64(newSize - size)) }
            throw .storage(reason)
        }
        if newSize < size { budget.shrink(by: Int64(size - newSize)) }
        size = newSize
        isWrittenInOrder = false
        stream?.breakOff()
    }

    /// Closes the descriptor; the upload of this file is complete.
    func complete() {
        closeDescriptor()
        isComplete = true
    }

    /// Closes the descriptor without completing (connection dropped), or
    /// takes the file out of the batch (replaced, removed, or its write
    /// failed): its bytes no longer count against the batch's limits, and
    /// its staged copy is deleted at once, so a disk filled by a failed
    /// upload has room again for the files after it.
    func abandon() {
        closeDescriptor()
        if !isReleased { unlink(stagingPath) }
        if !isReleased {
            isReleased = true
            budget.shrink(by: Int64(size))
        }
        stream?.breakOff()
        stream = nil
    }

    /// Reopens a complete file for more writes (SFTP OPEN without TRUNC).
    func reopen() throws(IngestError) {
        guard !isOpen else { return }
        isWrittenInOrder = false
        try slots.take()
        descriptor = open(stagingPath, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            slots.give()
            throw .storage(String(cString: strerror(errno)))
        }
        isComplete = false
    }
}
