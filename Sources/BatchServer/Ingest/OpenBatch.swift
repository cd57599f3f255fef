import BatchArchive
import BatchCore
import BatchStore
import Foundation
import Logging

/// A batch being dropped: one channel's uploads to one destination. Its
/// tree lives on the channel's loop thread; its archive grows on the
/// archiver's queue as each file completes.
final class OpenBatch {
    let id: Int64
    let destination: Destination
    let source: String
    private let context: IngestContext
    private let stagingDirectory: String
    private let archiver: BatchArchiver
    /// The topic's settings when the batch opened: its limits hold for the
    /// whole batch, even if a reload changes them meanwhile.
    private let policy: TopicPolicy
    /// The batch's bytes against MaxBatchSize and the source's SourceQuota.
    let budget: BatchBudget
    private var logger: Logger
    /// Relative path ("a/b.txt") → entry. The destination folder itself is "".
    private var entries: [String: DropEntry] = [:]
    private var nextStagingNumber = 0
    private var nextSequence = 0
    /// Set when something already archived was renamed or removed: the
    /// archive is then written again from staging at seal time.
    private var rebuildNeeded = false
    private(set) var isSealing = false
    /// The file being archived as it is uploaded; one at a time, since an
    /// archive entry's bytes are contiguous.
    private var streamingFile: StagedFile?

    /// A file is archived as it arrives once this much of it is written in
    /// order; smaller ones are archived when they complete, with headers
    /// compressed alongside the data before them.
    static let streamingThreshold: UInt64 = 1 << 20

    init(destination: Destination, source: String, peer: String, context: IngestContext) throws(IngestError) {
        let batchLimit = context.settings.current.maxOpenBatchesPerUser
        guard context.openBatches.take(for: source, limit: batchLimit) else { throw .tooManyOpenBatches(batchLimit) }
        do {
            id = try context.catalogue.openBatch(source: source, destination: destination)
        } catch {
            context.openBatches.give(for: source)
            throw IngestError(error)
        }
        let policy: TopicPolicy
        do {
            policy = try context.policy(for: destination)
        } catch {
            try? context.catalogue.discardBatch(id: id)
            context.openBatches.give(for: source)
            throw error
        }
        self.policy = policy
        self.destination = destination
        self.source = source
        self.context = context
        stagingDirectory = context.layout.staging + "/\(id)"
        archiver = BatchArchiver(batch: id, archivePath: context.layout.archive(batch: id),
                                 pieceSize: context.pieceSize, level: context.compressionLevel)
        budget = BatchBudget(destination: destination, source: source, policy: policy, ledger: context.ledger,
                             catalogue: context.catalogue)
        logger = context.logger
        logger[metadataKey: "batch"] = "\(id)"
        logger[metadataKey: "user"] = "\(source)"
        logger[metadataKey: "peer"] = "\(peer)"
        do {
            try FileManager.default.createDirectory(atPath: stagingDirectory, withIntermediateDirectories: true)
        } catch {
            try? context.catalogue.discardBatch(id: id)
            context.openBatches.give(for: source)
            throw .storage("cannot create staging folder: \(error.localizedDescription)")
        }
        context.counters.uploadsInProgress.add(1, ordering: .relaxed)
        logger.info("batch opened", metadata: ["destination": "\(destination.component)"])
    }

    // MARK: - Lookups

    func entry(_ relative: String) -> DropEntry? {
        relative.isEmpty ? .directory(mode: 0o755, mtime: 0, sequence: -1, archived: false) : entries[relative]
    }

    func isDirectory(_ relative: String) -> Bool {
        if case .directory = entry(relative) { return true }
        return false
    }

    /// Names directly inside the folder `relative`, sorted.
    func children(of relative: String) -> [(name: String, entry: DropEntry)] {
        let prefix = relative.isEmpty ? "" : relative + "/"
        return entries.compactMap { key, value -> (String, DropEntry)? in
            guard key.hasPrefix(prefix) else { return nil }
            let rest = key.dropFirst(prefix.count)
            guard !rest.isEmpty, !PathComponents.containsSeparator(rest) else { return nil }
            return (String(rest), value)
        }.sorted { $0.0 < $1.0 }
    }

    // MARK: - Changes

    func makeDirectory(_ relative: String, mode: UInt32?) throws(IngestError) {
        guard !isSealing else { throw .storage("the batch is already sealing") }
        guard !relative.isEmpty else { throw .alreadyExists(destination.component) }
        guard entries[relative] == nil else { throw .alreadyExists(relative) }
        try requireParent(of: relative)
        let sequence = takeSequence()
        let mtime = Int64(Date().timeIntervalSince1970)
        let dirMode = (mode ?? 0o755) & TarHeader.permissionBits
        entries[relative] = .directory(mode: dirMode, mtime: mtime, sequence: sequence, archived: true)
        archiver.append(.directory(path: relative, mode: dirMode, mtime: mtime))
    }

    func removeDirectory(_ relative: String) throws(IngestError) {
        guard case .directory(_, _, _, let archived)? = entries[relative] else {
            throw entries[relative] == nil ? .noSuchFile(relative) : .notADirectory(relative)
        }
        guard children(of: relative).isEmpty else { throw .directoryNotEmpty(relative) }
        entries[relative] = nil
        if archived { rebuildNeeded = true }
    }

    /// Opens a file for writing: a new one, or an existing one of this
    /// batch (replaced with `truncate`, continued without).
    func openFile(_ relative: String, truncate: Bool, exclusive: Bool) throws(IngestError) -> StagedFile {
        guard !isSealing else { throw .storage("the batch is already sealing") }
        try requireParent(of: relative)
        try budget.refresh()
        switch entries[relative] {
        case .directory?:
            throw .isADirectory(relative)
        case .file(let existing)?:
            if exclusive { throw .alreadyExists(relative) }
            if existing.isArchived { rebuildNeeded = true; existing.isArchived = false }
            if truncate {
                existing.abandon()
                let file = try newStagedFile(relative, truncate: true)
                entries[relative] = .file(file)
                return file
            }
            try existing.reopen()
            return existing
        case nil:
            let file = try newStagedFile(relative, truncate: true)
            entries[relative] = .file(file)
            return file
        }
    }

    /// Writes `bytes` at `offset` of `file`, then starts archiving the file
    /// as it arrives when it is large enough and written in order.
    func write(_ file: StagedFile, _ bytes: [UInt8], at offset: UInt64) throws(IngestError) {
        try file.write(bytes, at: offset)
        considerStreaming(file)
    }

    /// As `write(_:_:at:)`, for bytes in a buffer.
    func write(_ file: StagedFile, _ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(IngestError) {
        try file.write(bytes, at: offset)
        considerStreaming(file)
    }

    private func considerStreaming(_ file: StagedFile) {
        if streamingFile?.stream == nil { streamingFile = nil }
        guard streamingFile == nil, file.stream == nil, !isSealing, file.isOpen, file.isWrittenInOrder,
              file.size >= OpenBatch.streamingThreshold, case .file(let current)? = entries[file.path], current === file
        else { return }
        var announced: StreamedUpload.Header?
        if let size = file.announcedSize {
            // The header is written now, so its mtime is fixed now.
            let mtime = file.mtime ?? Int64(Date().timeIntervalSince1970)
            file.mtime = mtime
            announced = StreamedUpload.Header(path: file.path, size: size, mode: file.mode, mtime: mtime)
        } else {
            // The header waits in a one-block slot: it must fit there.
            guard TarHeader(path: file.path, kind: .regularFile, mode: file.mode, mtime: 0).encode().count == TarBlock.size
            else { return }
        }
        // Its place in the archive is taken now: later entries follow it.
        file.sequence = takeSequence()
        file.isArchived = true
        let upload = StreamedUpload(stagingPath: file.stagingPath, announced: announced, archiver: archiver)
        file.stream = upload
        streamingFile = file
        logger.debug("archiving a file as it uploads", metadata: ["file": "\(file.path)"])
        archiver.beginStream(upload)
        upload.grew(to: file.size)
    }

    /// The client closed a file it wrote: it is complete and goes into the
    /// archive now, or ends its streamed entry.
    func complete(_ file: StagedFile) {
        file.complete()
        if file.mtime == nil { file.mtime = Int64(Date().timeIntervalSince1970) }
        if let stream = file.stream {
            file.stream = nil
            if streamingFile === file { streamingFile = nil }
            guard case .file(let current)? = entries[file.path], current === file, !isSealing, !stream.isBroken else {
                logger.debug("a file archived as it uploaded changed behind the archiver; the archive is built again at seal",
                             metadata: ["file": "\(file.path)"])
                stream.breakOff()
                rebuildNeeded = true
                return
            }
            archiver.endStream(stream, path: file.path, size: file.size, mode: file.mode,
                               mtime: file.mtime ?? Int64(Date().timeIntervalSince1970))
            return
        }
        guard case .file(let current)? = entries[file.path], current === file, !isSealing else { return }
        file.sequence = takeSequence()
        file.isArchived = true
        archiver.append(job(for: file))
    }

    func remove(_ relative: String) throws(IngestError) {
        guard case .file(let file)? = entries[relative] else {
            throw entries[relative] == nil ? .noSuchFile(relative) : .isADirectory(relative)
        }
        entries[relative] = nil
        file.abandon()
        if file.isArchived { rebuildNeeded = true }
    }

    /// Renames a file or folder inside this batch. `replace` is POSIX
    /// rename (posix-rename@openssh.com); plain SFTP v3 rename refuses to
    /// overwrite.
    func rename(_ from: String, to: String, replace: Bool) throws(IngestError) {
        guard !isSealing else { throw .storage("the batch is already sealing") }
        guard let moving = entries[from] else { throw .noSuchFile(from) }
        try requireParent(of: to)
        if let existing = entries[to] {
            guard replace, case .file(let old) = existing, case .file = moving else { throw .alreadyExists(to) }
            old.abandon()
            if old.isArchived { rebuildNeeded = true }
        }
        guard to != from, !to.hasPrefix(from + "/") else { throw .alreadyExists(to) }
        let prefix = from + "/"
        let moved = entries.filter { $0.key == from || $0.key.hasPrefix(prefix) }
        for (key, value) in moved {
            entries[key] = nil
            let newKey = to + key.dropFirst(from.count)
            switch value {
            case .file(let file):
                file.path = newKey
                if file.isArchived { rebuildNeeded = true }
            case .directory(_, _, _, let archived):
                if archived { rebuildNeeded = true }
            }
            entries[newKey] = value
        }
    }

    // MARK: - Sealing

    /// Seals the batch: files still open are dropped (their upload did not
    /// complete), the archive is finished and fsynced, and only then does
    /// the catalogue say `sealed`. A batch with nothing complete is discarded.
    /// `completion` runs on another thread with the outcome, once the
    /// catalogue has it.
    func seal(completion: @escaping @Sendable (SealOutcome) -> Void = { _ in }) {
        guard !isSealing else { return }
        let completion = end(then: completion)
        var dropped: [String] = []
        for case (let key, .file(let file)) in entries where !file.isComplete {
            if file.isArchived { rebuildNeeded = true }
            file.abandon()
            entries[key] = nil
            dropped.append(key)
        }
        if !dropped.isEmpty {
            logger.warning("incomplete files left out of the batch", metadata: ["files": "\(dropped.sorted())"])
        }
        let complete = orderedEntries()
        let staged = complete.map { stagedEntry($0.key, $0.entry) }
        let files = staged.compactMap(\.file)
        let catalogue = context.catalogue
        let id = self.id
        let staging = stagingDirectory
        let logger = self.logger
        let recorder = SealRecorder(id: id, archivePath: archiver.archivePath, stagingDirectory: staging,
                                    catalogue: catalogue, notifier: context.notifier, logger: logger)
        if complete.isEmpty {
            archiver.discard {
                do {
                    try catalogue.discardBatch(id: id)
                } catch {
                    logger.error("cannot discard empty batch", metadata: ["error": "\(error)"])
                }
                recorder.removeStaging()
                logger.info("batch discarded: nothing was uploaded completely")
                completion(.discarded)
            }
            return
        }
        let jobs = staged.map { ArchiveJob($0, in: staging) }
        let rebuild = rebuildNeeded
        if rebuild { logger.debug("the archive is built again from staging: the batch changed after files were archived") }
        let archiver = self.archiver
        let finish: @Sendable () -> Void = {
            // From here the upload is final and vetted: a crash before the
            // seal is recorded leaves the batch for the next start to seal
            // from staging, which keeps every file until then.
            do {
                try catalogue.finishUpload(id: id, entries: staged)
            } catch {
                logger.error("cannot record the finished upload: a crash before the seal would fail the batch",
                             metadata: ["error": "\(error)"])
            }
            archiver.finish(jobs: jobs, rebuild: rebuild) { result in
                completion(recorder.record(result, files: files, message: "batch sealed"))
            }
        }
        guard let command = policy.preSealHook else { return finish() }
        let tree = complete.map { key, entry -> (path: String, stagingPath: String?) in
            if case .file(let file) = entry { return (key, file.stagingPath) }
            return (key, nil)
        }
        let environment = [
            "BATCHD_BATCH": "\(id)", "BATCHD_TOPIC": destination.topicName ?? "", "BATCHD_DESTINATION": destination.component,
            "BATCHD_SOURCE": source, "BATCHD_FILES": "\(files.count)",
            "BATCHD_BYTES": "\(files.reduce(Int64(0)) { $0 + $1.size })",
        ]
        let hook = PreSealHook(command: command, timeout: policy.preSealTimeout)
        context.hookGate.run(for: source, limit: context.settings.current.maxPreSealHooksPerUser) { done in
            hook.vet(tree, in: staging + "/files", environment: environment, logger: logger, accepted: {
                done()
                finish()
            }, rejected: { reason in
                done()
                archiver.discard {
                    let outcome = recorder.fail(reason)
                    recorder.removeStaging()
                    completion(outcome)
                }
            })
        }
    }

    /// Fails the batch without sealing it: its files are dropped, the
    /// catalogue records `reason`, nothing is offered. For a batch whose
    /// source lost the right to drop it (a revoked key, a removed user).
    func abandon(reason: String, completion: @escaping @Sendable (SealOutcome) -> Void = { _ in }) {
        guard !isSealing else { return }
        let completion = end(then: completion)
        for case .file(let file) in entries.values { file.abandon() }
        entries.removeAll()
        let recorder = SealRecorder(id: id, archivePath: archiver.archivePath, stagingDirectory: stagingDirectory,
                                    catalogue: context.catalogue, notifier: context.notifier, logger: logger)
        logger.warning("batch abandoned, not sealed", metadata: ["reason": "\(reason)"])
        archiver.discard {
            let outcome = recorder.fail(reason)
            recorder.removeStaging()
            completion(outcome)
        }
    }

    /// Marks the batch ending (sealing or abandoned) and returns
    /// `completion` wrapped to give back what the batch held once the
    /// catalogue has its outcome; shutdown waits for it.
    private func end(then completion: @escaping @Sendable (SealOutcome) -> Void) -> @Sendable (SealOutcome) -> Void {
        isSealing = true
        context.counters.uploadsInProgress.subtract(1, ordering: .relaxed)
        let group = context.pendingSeals
        group.enter()
        let budget = self.budget
        let (openBatches, source) = (context.openBatches, self.source)
        return { outcome in
            // Sealed bytes are in the catalogue now; failed ones count for nothing.
            budget.release()
            openBatches.give(for: source)
            completion(outcome)
            group.leave()
        }
    }

    // MARK: - Helpers

    private func requireParent(of relative: String) throws(IngestError) {
        let parent = PathComponents.split(relative).dropLast().joined(separator: "/")
        guard isDirectory(parent) else {
            throw entries[parent] == nil ? .noSuchFile(parent) : .notADirectory(parent)
        }
    }

    private func newStagedFile(_ relative: String, truncate: Bool) throws(IngestError) -> StagedFile {
        nextStagingNumber += 1
        let slots = OpenFileSlots(allowance: context.openFiles, user: source, limit: context.settings.current.maxOpenFilesPerUser)
        return try StagedFile(path: relative, stagingPath: stagingDirectory + "/\(nextStagingNumber).part", truncate: truncate,
                              budget: budget, counters: context.counters, slots: slots)
    }

    private func takeSequence() -> Int {
        nextSequence += 1
        return nextSequence
    }

    private func orderedEntries() -> [(key: String, entry: DropEntry)] {
        entries.map { ($0.key, $0.value) }.sorted { a, b in
            func sequence(_ e: DropEntry) -> Int {
                switch e {
                case .directory(_, _, let s, _): return s
                case .file(let f): return f.sequence
                }
            }
            return sequence(a.1) < sequence(b.1)
        }.map { (key: $0.0, entry: $0.1) }
    }

    private func job(for file: StagedFile) -> ArchiveJob {
        .file(path: file.path, stagingPath: file.stagingPath, mode: file.mode,
              mtime: file.mtime ?? Int64(Date().timeIntervalSince1970))
    }

    /// `entry` as the catalogue records it when the upload finishes: a
    /// complete file's mtime is set (`complete`).
    private func stagedEntry(_ key: String, _ entry: DropEntry) -> StagedEntry {
        switch entry {
        case .directory(let mode, let mtime, _, _):
            return StagedEntry(path: key, kind: .directory, mode: Int(mode), mtime: mtime)
        case .file(let file):
            let name = (file.stagingPath as NSString).lastPathComponent
            return StagedEntry(path: key, kind: .file(stagingName: name, size: Int64(file.size)), mode: Int(file.mode),
                               mtime: file.mtime ?? 0)
        }
    }
}
