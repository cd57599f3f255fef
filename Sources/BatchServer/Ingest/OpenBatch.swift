import BatchArchive
import BatchCore
import BatchStore
import Foundation
import Logging
import SSHKit

/// A batch being dropped: one source's uploads to one destination, over
/// every session and channel of that source that writes to it (see
/// `OpenBatches`). Its tree (`BatchTree`) and staged files are shared by
/// those channels, on whatever loops they run, behind one lock; its archive
/// grows on the archiver's queue as each file completes.
///
/// It seals when the last channel that wrote to it has closed and the
/// topic's quiet time (`BatchQuietTime`) has passed with no channel back, or
/// when the source runs `seal` (`BatchSeal explicit` waits for that). A
/// channel that went mid-upload leaves its file kept for a resume, and the
/// batch waits `BatchResumeTime` for it instead.
final class OpenBatch: @unchecked Sendable {
    let id: Int64
    let destination: Destination
    let source: String
    private let context: IngestContext
    private let stagingDirectory: String
    private let archiver: BatchArchiver
    /// The topic's settings when the batch opened: its limits hold for the
    /// whole batch, even if a reload changes them meanwhile.
    let policy: TopicPolicy
    /// The batch's bytes against MaxBatchSize and the source's SourceQuota.
    let budget: BatchBudget
    private let logger: Logger
    /// Told once, with the outcome, when the batch has ended.
    let verdict = SealVerdict()
    /// Called once the batch stops taking uploads (it seals or is abandoned).
    private let ended: @Sendable (OpenBatch) -> Void

    /// Guards everything below: the tree, the staged files, the streaming
    /// slot, the channels writing and the quiet-time generation.
    private let lock = NSLock()
    private var tree = BatchTree()
    private var files: [Int: StagedFile] = [:]
    private var nextFileID = 0
    private var sealing = false
    /// Channels that wrote to the batch and are still open.
    private var writers = 0
    /// Bumped whenever a channel joins or the batch seals, so that a quiet
    /// time that started before no longer seals it.
    private var quietGeneration = 0
    /// The file being archived as it is uploaded; one at a time, since an
    /// archive entry's bytes are contiguous.
    private var streamingFile: StagedFile?

    /// A file is archived as it arrives once this much of it is written in
    /// order; smaller ones are archived when they complete, with headers
    /// compressed alongside the data before them.
    static let streamingThreshold: UInt64 = 1 << 20

    /// Opens a batch, with its staging folder, without waiting on the
    /// catalogue: the destination is checked against the in-memory
    /// directory, the id handed out in memory, and the batch's row queued
    /// for the catalogue; should that write fail, the batch is abandoned
    /// with the reason. `ended` is told when it stops taking uploads.
    init(destination: Destination, source: String, peer: PeerAddress, context: IngestContext,
         ended: @escaping @Sendable (OpenBatch) -> Void) throws(IngestError) {
        do {
            _ = try context.access.recipients(of: destination)
        } catch {
            throw IngestError(error)
        }
        let batchLimit = context.settings.current.maxOpenBatchesPerUser
        guard context.openBatches.take(for: source, limit: batchLimit) else { throw .tooManyOpenBatches(batchLimit) }
        id = context.ids.next()
        policy = context.policy(for: destination)
        self.destination = destination
        self.source = source
        self.context = context
        self.ended = ended
        stagingDirectory = context.layout.staging + "/\(id)"
        archiver = BatchArchiver(batch: id, archivePath: context.layout.archive(batch: id),
                                 pieceSize: context.pieceSize, level: context.compressionLevel)
        budget = BatchBudget(destination: destination, source: source, policy: policy, ledger: context.ledger,
                             sealed: context.sealedDrops)
        var logger = context.logger
        logger[metadataKey: "batch"] = "\(id)"
        logger[metadataKey: "user"] = "\(source)"
        logger[metadataKey: "peer"] = "\(peer)"
        self.logger = logger
        do {
            try FileManager.default.createDirectory(atPath: stagingDirectory, withIntermediateDirectories: true)
        } catch {
            context.openBatches.give(for: source)
            throw .storage("cannot create staging folder: \(error.localizedDescription)")
        }
        context.counters.uploadsInProgress.add(1, ordering: .relaxed)
        logger.info("batch opened", metadata: ["destination": "\(destination.component)"])
        record()
    }

    /// Queues the batch's row for the catalogue; a batch the catalogue
    /// cannot take is abandoned, off the writer, with the reason.
    private func record() {
        let (id, source, destination) = (self.id, self.source, self.destination)
        context.writer.queue { [weak self] catalogue in
            do {
                _ = try catalogue.openBatch(id: id, source: source, destination: destination)
            } catch {
                guard let self else { return }
                self.logger.error("cannot record the batch", metadata: ["error": "\(error)"])
                DispatchQueue.global().async { self.abandon(reason: "the catalogue could not record the batch: \(error)") }
            }
        }
    }

    private func locked<T, Failure: Error>(_ body: () throws(Failure) -> T) throws(Failure) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// False once the batch seals or is abandoned: new uploads then open
    /// another batch.
    var isOpen: Bool { locked { !sealing } }

    // MARK: - Channels

    /// A channel starts writing to the batch: it stays open at least until
    /// that channel leaves. False when the batch no longer takes uploads.
    func join() -> Bool {
        locked {
            guard !sealing else { return false }
            writers += 1
            quietGeneration += 1
            return true
        }
    }

    /// A channel went with `file` still open (the connection dropped
    /// mid-upload): the file is kept for a resume, not archived.
    func interrupt(_ file: StagedFile) {
        locked { file.interruptHandle() }
    }

    /// A channel that wrote to the batch closed. With the last one gone the
    /// quiet time starts (`BatchResumeTime` instead when an upload was cut
    /// off, so that its client can come back for it); after it the batch
    /// seals unless a channel joined meanwhile. `BatchSeal explicit` waits
    /// for `seal` instead.
    func leave() {
        let wait: (milliseconds: Int, generation: Int)? = locked {
            writers = max(0, writers - 1)
            guard writers == 0, !sealing, policy.batchSeal == .auto else { return nil }
            quietGeneration += 1
            let resumable = files.values.contains { $0.isInterrupted }
            let milliseconds = resumable ? max(policy.batchQuietTime, policy.batchResumeTime * 1000) : policy.batchQuietTime
            return (milliseconds, quietGeneration)
        }
        guard let wait else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(wait.milliseconds)) { [self] in
            // Only if no channel joined meanwhile.
            if seal(when: { writers == 0 && quietGeneration == wait.generation }) {
                logger.debug("quiet time passed with no channel writing; the batch is sealing")
            }
        }
    }

    // MARK: - Lookups

    func entry(_ relative: String) -> DropEntry? {
        locked { entryLocked(relative) }
    }

    private func entryLocked(_ relative: String) -> DropEntry? {
        switch tree.node(at: relative) {
        case .directory(let mode, let mtime)?: return .directory(mode: mode, mtime: mtime)
        case .file(let id)?: return files[id]?.entry
        case nil: return nil
        }
    }

    /// What an open handle's file looks like now (FSTAT).
    func entry(of file: StagedFile) -> DropEntry {
        locked { file.entry }
    }

    func isDirectory(_ relative: String) -> Bool {
        locked { tree.isDirectory(relative) }
    }

    /// Names directly inside the folder `relative`, sorted.
    func children(of relative: String) -> [(name: String, entry: DropEntry)] {
        locked {
            tree.children(of: relative).compactMap { name, node -> (name: String, entry: DropEntry)? in
                let path = relative.isEmpty ? name : relative + "/" + name
                return entryLocked(path).map { (name: name, entry: $0) }
            }
        }
    }

    // MARK: - Changes

    func makeDirectory(_ relative: String, mode: UInt32?) throws(IngestError) {
        try locked { () throws(IngestError) in
            try requireOpen()
            guard !relative.isEmpty else { throw .alreadyExists(destination.component) }
            let mtime = Int64(Date().timeIntervalSince1970)
            let dirMode = (mode ?? 0o755) & TarHeader.permissionBits
            try changeTree { tree throws(BatchTreeError) in try tree.makeDirectory(relative, mode: dirMode, mtime: mtime) }
            archiver.append(.directory(path: relative, mode: dirMode, mtime: mtime))
        }
    }

    /// Makes the folder `relative` unless it is there already (legacy scp
    /// enters folders that may exist).
    func ensureDirectory(_ relative: String, mode: UInt32?) throws(IngestError) {
        if isDirectory(relative) { return }
        do {
            try makeDirectory(relative, mode: mode)
        } catch .alreadyExists where isDirectory(relative) {
            // Another channel made it meanwhile.
        }
    }

    func removeDirectory(_ relative: String) throws(IngestError) {
        try locked { () throws(IngestError) in
            try requireOpen()
            try changeTree { tree throws(BatchTreeError) in try tree.removeDirectory(relative) }
        }
    }

    /// Opens a file for writing: a new one, or an existing one of this
    /// batch (emptied with `truncate`, continued or resumed without).
    /// `mode`, `mtime` and `announcedSize` are what the client sent with it.
    func openFile(_ relative: String, truncate: Bool, exclusive: Bool, mode: UInt32? = nil, mtime: Int64? = nil,
                  announcedSize: UInt64? = nil) throws(IngestError) -> StagedFile {
        try locked { () throws(IngestError) in
            try requireOpen()
            budget.refresh()
            let file: StagedFile
            let existing = try changeTree { tree throws(BatchTreeError) in try tree.fileToOpen(at: relative, exclusive: exclusive) }
            if let existing, !truncate, let staged = files[existing] {
                if try staged.reopen() { tree.unarchive(existing) }
                file = staged
            } else {
                file = try newStagedFile()
                let replaced = try changeTree { tree throws(BatchTreeError) in try tree.placeFile(file.id, at: relative) }
                if let replaced { release(replaced) }
                files[file.id] = file
            }
            if let mode { file.mode = mode }
            if let mtime { file.mtime = mtime }
            if let announcedSize { file.announcedSize = announcedSize }
            return file
        }
    }

    /// Writes `bytes` at `offset` of `file`, then starts archiving the file
    /// as it arrives when it is large enough and written in order. A write
    /// that fails (a limit, a full disk) takes the file out of the batch:
    /// it is never archived cut short or with a hole.
    func write(_ file: StagedFile, _ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(IngestError) {
        try locked { () throws(IngestError) in
            guard tree.path(of: file.id) != nil else { throw .badHandle }
            do throws(IngestError) {
                let end = offset.addingReportingOverflow(UInt64(bytes.count))
                guard !end.overflow, end.partialValue <= context.maxFileSize else {
                    throw .fileTooLarge(tree.path(of: file.id) ?? "", context.maxFileSize)
                }
                try file.write(bytes, at: offset)
            } catch {
                drop(file)
                throw error
            }
            considerStreaming(file)
        }
    }

    /// As `write(_:_:at:)`, for bytes in an array.
    func write(_ file: StagedFile, _ bytes: [UInt8], at offset: UInt64) throws(IngestError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(IngestError) in try write(file, buffer, at: offset) }
        }
        try result.get()
    }

    /// Sets what SETSTAT or FSETSTAT asks of `file`: mode, mtime, and a size
    /// (a truncation or extension). A size refused takes the file out of
    /// the batch, as a failed write does.
    func setAttributes(of file: StagedFile, mode: UInt32?, mtime: Int64?, size: UInt64?) throws(IngestError) {
        try locked { () throws(IngestError) in try apply(mode: mode, mtime: mtime, size: size, to: file) }
    }

    /// As `setAttributes(of:…)`, for the file at `relative`; folders take
    /// no attributes after they are made.
    func setAttributes(at relative: String, mode: UInt32?, mtime: Int64?, size: UInt64?) throws(IngestError) {
        try locked { () throws(IngestError) in
            switch tree.node(at: relative) {
            case .file(let id)?:
                guard let file = files[id] else { return }
                try apply(mode: mode, mtime: mtime, size: size, to: file)
            case .directory?:
                return
            case nil:
                throw .noSuchFile(relative)
            }
        }
    }

    /// The client closed a handle of a file it wrote. With its last handle
    /// the file is complete and goes into the archive now, or ends its
    /// streamed entry.
    func close(_ file: StagedFile) {
        locked {
            file.closeHandle()
            guard file.isComplete else { return }
            let mtime = file.mtime ?? Int64(Date().timeIntervalSince1970)
            file.mtime = mtime
            let current = tree.path(of: file.id)
            if let stream = file.stream {
                file.stream = nil
                if streamingFile === file { streamingFile = nil }
                guard let current, !sealing, !stream.isBroken else {
                    logger.debug("a file archived as it uploaded changed behind the archiver; the archive is built again at seal")
                    stream.breakOff()
                    tree.unarchive(file.id)
                    return
                }
                archiver.endStream(stream, path: current, size: file.size, mode: file.mode, mtime: mtime)
                return
            }
            guard let current, !sealing else { return }
            tree.archive(file.id)
            archiver.append(.file(path: current, stagingPath: file.stagingPath, mode: file.mode, mtime: mtime))
        }
    }

    func remove(_ relative: String) throws(IngestError) {
        try locked { () throws(IngestError) in
            try requireOpen()
            release(try changeTree { tree throws(BatchTreeError) in try tree.removeFile(relative) })
        }
    }

    /// Takes `file` out of the batch wherever it is now (its upload failed).
    func remove(_ file: StagedFile) {
        locked { drop(file) }
    }

    /// Renames a file or folder inside this batch. `replace` is POSIX
    /// rename (posix-rename@openssh.com); plain SFTP v3 rename refuses to
    /// overwrite.
    func rename(_ from: String, to: String, replace: Bool) throws(IngestError) {
        try locked { () throws(IngestError) in
            try requireOpen()
            let replaced = try changeTree { tree throws(BatchTreeError) in try tree.rename(from, to: to, replace: replace) }
            if let replaced { release(replaced) }
        }
    }

    // MARK: - Sealing

    /// Seals the batch now: files still open or interrupted are left out
    /// (their upload did not complete), the archive is finished and
    /// fsynced, and only then does the catalogue say `sealed`. A batch with
    /// nothing complete is discarded. `verdict` is told the outcome once
    /// the catalogue has it; a batch already sealing only waits for it.
    func seal() {
        seal(when: { true })
    }

    /// Seals the batch if it still takes uploads and `due` (run under the
    /// lock) says so; returns whether it did.
    @discardableResult
    private func seal(when due: () -> Bool) -> Bool {
        let plan: SealPlan? = locked {
            guard !sealing, due() else { return nil }
            return planSeal()
        }
        guard let plan else { return false }
        ended(self)
        plan.run()
        return true
    }

    /// Fails the batch without sealing it: its files are dropped, the
    /// catalogue records `reason`, nothing is offered. For a batch whose
    /// source lost the right to drop it (a revoked key, a removed user).
    func abandon(reason: String) {
        let started: Bool = locked {
            guard !sealing else { return false }
            sealing = true
            quietGeneration += 1
            for file in files.values { file.abandon() }
            files.removeAll()
            tree = BatchTree()
            return true
        }
        guard started else { return }
        ended(self)
        let finish = ending()
        let recorder = SealRecorder(id: id, source: source, topic: destination.topicName, archivePath: archiver.archivePath,
                                    stagingDirectory: stagingDirectory, context: context, logger: logger)
        logger.warning("batch abandoned, not sealed", metadata: ["reason": "\(reason)"])
        archiver.discard {
            let outcome = recorder.fail(reason)
            recorder.removeStaging()
            finish(outcome)
        }
    }

    /// Under the lock: marks the batch sealing, leaves out what is not
    /// complete, and captures what the seal needs, to run outside it.
    private func planSeal() -> SealPlan {
        sealing = true
        quietGeneration += 1
        var dropped: [String] = []
        for file in files.values where !file.isComplete {
            dropped.append(tree.path(of: file.id) ?? "")
            drop(file)
        }
        if !dropped.isEmpty {
            logger.warning("incomplete files left out of the batch", metadata: ["files": "\(dropped.sorted())"])
        }
        let entries = tree.ordered().map { path, node -> (entry: StagedEntry, stagingPath: String?) in
            switch node {
            case .directory(let mode, let mtime):
                return (StagedEntry(path: path, kind: .directory, mode: Int(mode), mtime: mtime), nil)
            case .file(let id):
                let file = files[id]!
                let name = (file.stagingPath as NSString).lastPathComponent
                return (StagedEntry(path: path, kind: .file(stagingName: name, size: Int64(file.size)), mode: Int(file.mode),
                                    mtime: file.mtime ?? 0), file.stagingPath)
            }
        }
        return SealPlan(batch: id, destination: destination, source: source, entries: entries,
                        rebuild: tree.rebuildNeeded, stagingDirectory: stagingDirectory, archiver: archiver,
                        policy: policy, context: context, logger: logger, finish: ending())
    }

    /// Returns what to call with the outcome: it gives back what the batch
    /// held, tells `verdict` and lets shutdown, which waits for every seal
    /// under way, go on.
    private func ending() -> @Sendable (SealOutcome) -> Void {
        context.counters.uploadsInProgress.subtract(1, ordering: .relaxed)
        let group = context.pendingSeals
        group.enter()
        let (budget, verdict) = (self.budget, self.verdict)
        let (openBatches, source) = (context.openBatches, self.source)
        return { outcome in
            // Sealed bytes are in the catalogue now; failed ones count for nothing.
            budget.release()
            openBatches.give(for: source)
            verdict.resolve(outcome)
            group.leave()
        }
    }

    // MARK: - Helpers (under the lock)

    /// Sets what SETSTAT or FSETSTAT asks of `file`, if it is still in the tree.
    private func apply(mode: UInt32?, mtime: Int64?, size: UInt64?, to file: StagedFile) throws(IngestError) {
        guard let path = tree.path(of: file.id) else { return }
        if let mode { file.mode = mode }
        if let mtime { file.mtime = mtime }
        guard let size, file.isOpen, size != file.size else { return }
        do throws(IngestError) {
            guard size <= context.maxFileSize else { throw .fileTooLarge(path, context.maxFileSize) }
            try file.resize(to: size)
        } catch {
            drop(file)
            throw error
        }
    }

    private func requireOpen() throws(IngestError) {
        guard !sealing else { throw .storage("the batch is already sealing; start again for a new batch") }
    }

    /// Runs a change of the tree, with its refusal as the client reads it.
    @discardableResult
    private func changeTree<T>(_ change: (inout BatchTree) throws(BatchTreeError) -> T) throws(IngestError) -> T {
        do {
            return try change(&tree)
        } catch {
            throw IngestError(error)
        }
    }

    /// A file left the tree (replaced or removed): its bytes go.
    private func release(_ id: Int) {
        guard let file = files.removeValue(forKey: id) else { return }
        if streamingFile === file { streamingFile = nil }
        file.abandon()
    }

    /// Takes `file` out of the tree and drops its bytes.
    private func drop(_ file: StagedFile) {
        tree.removeFile(id: file.id)
        release(file.id)
    }

    private func newStagedFile() throws(IngestError) -> StagedFile {
        nextFileID += 1
        let slots = OpenFileSlots(allowance: context.openFiles, user: source, limit: context.settings.current.maxOpenFilesPerUser)
        return try StagedFile(id: nextFileID, stagingPath: stagingDirectory + "/\(nextFileID).part", budget: budget,
                              counters: context.counters, slots: slots)
    }

    private func considerStreaming(_ file: StagedFile) {
        if streamingFile?.stream == nil { streamingFile = nil }
        guard streamingFile == nil, file.stream == nil, !sealing, file.isOpen, file.isWrittenInOrder,
              file.size >= OpenBatch.streamingThreshold, let path = tree.path(of: file.id), !tree.isArchived(file.id)
        else { return }
        var announced: StreamedUpload.Header?
        if let size = file.announcedSize {
            // The header is written now, so its mtime is fixed now.
            let mtime = file.mtime ?? Int64(Date().timeIntervalSince1970)
            file.mtime = mtime
            announced = StreamedUpload.Header(path: path, size: size, mode: file.mode, mtime: mtime)
        } else {
            // The header waits in a one-block slot: it must fit there.
            guard TarHeader(path: path, kind: .regularFile, mode: file.mode, mtime: 0).encode().count == TarBlock.size
            else { return }
        }
        // Its place in the archive is taken now: later entries follow it.
        tree.archive(file.id)
        let upload = StreamedUpload(stagingPath: file.stagingPath, announced: announced, archiver: archiver)
        file.stream = upload
        streamingFile = file
        logger.debug("archiving a file as it uploads", metadata: ["file": "\(path)"])
        archiver.beginStream(upload)
        upload.grew(to: file.size)
    }
}
