import BatchCore
import BatchStore
import Dispatch
import Logging

/// The steps of one batch's seal, captured from the batch when it stopped
/// taking uploads, run off its lock: nothing complete means the batch is
/// discarded; otherwise the pre-seal hook vets the staged tree, the
/// catalogue records the finished upload, the archiver finishes (rebuilding
/// from staging if the tree changed after files were archived), and the
/// seal is recorded. `finish` gets the outcome.
struct SealPlan: Sendable {
    let batch: Int64
    let destination: Destination
    let source: String
    /// The complete entries in archive order, with each file's staged copy.
    let entries: [(entry: StagedEntry, stagingPath: String?)]
    let rebuild: Bool
    let stagingDirectory: String
    let archiver: BatchArchiver
    let policy: TopicPolicy
    let context: IngestContext
    let logger: Logger
    let finish: @Sendable (SealOutcome) -> Void

    /// Runs the seal on a worker: its catalogue writes wait their turn
    /// there, never on the loop or timer that ended the batch.
    func run() {
        DispatchQueue.global(qos: .userInitiated).async { steps() }
    }

    private func steps() {
        let recorder = SealRecorder(id: batch, source: source, topic: destination.topicName, archivePath: archiver.archivePath,
                                    stagingDirectory: stagingDirectory, context: context, logger: logger)
        guard !entries.isEmpty else { return discard(recorder) }
        guard let command = policy.preSealHook else { return archive(recorder) }
        let hook = PreSealHook(command: command, timeout: policy.preSealTimeout)
        let tree = entries.map { (path: $0.entry.path, stagingPath: $0.stagingPath) }
        let (archiver, logger, finish) = (self.archiver, self.logger, self.finish)
        context.hookGate.run(for: source, limit: context.settings.current.maxPreSealHooksPerUser) { done in
            hook.vet(tree, in: stagingDirectory + "/files", environment: hookEnvironment, logger: logger, accepted: {
                done()
                archive(recorder)
            }, rejected: { reason in
                done()
                archiver.discard {
                    let outcome = recorder.fail(reason)
                    recorder.removeStaging()
                    finish(outcome)
                }
            })
        }
    }

    /// What the hook is told about the batch, as batchd.conf(5) lists it.
    private var hookEnvironment: [String: String] {
        let sizes = entries.compactMap { entry -> Int64? in
            if case .file(_, let size) = entry.entry.kind { return size }
            return nil
        }
        return [
            "BATCHD_BATCH": "\(batch)", "BATCHD_TOPIC": destination.topicName ?? "", "BATCHD_DESTINATION": destination.component,
            "BATCHD_SOURCE": source, "BATCHD_FILES": "\(sizes.count)", "BATCHD_BYTES": "\(sizes.reduce(0, +))",
        ]
    }

    /// Nothing was uploaded completely: no batch.
    private func discard(_ recorder: SealRecorder) {
        let (context, batch, logger, finish) = (self.context, self.batch, self.logger, self.finish)
        archiver.discard {
            do {
                try context.writer.write { catalogue throws(StoreError) in try catalogue.discardBatch(id: batch) }
            } catch {
                logger.error("cannot discard empty batch", metadata: ["error": "\(error)"])
            }
            recorder.removeStaging()
            logger.info("batch discarded: nothing was uploaded completely")
            finish(.discarded)
        }
    }

    /// The upload is final and vetted: it is recorded, then archived and sealed.
    private func archive(_ recorder: SealRecorder) {
        // A crash before the seal is recorded leaves the batch for the next
        // start to seal from staging, which keeps every file until then.
        let staged = entries.map(\.entry)
        do {
            try context.writer.write { catalogue throws(StoreError) in try catalogue.finishUpload(id: batch, entries: staged) }
        } catch {
            logger.error("cannot record the finished upload: a crash before the seal would fail the batch",
                         metadata: ["error": "\(error)"])
        }
        if rebuild { logger.debug("the archive is built again from staging: the batch changed after files were archived") }
        let jobs = staged.map { ArchiveJob($0, in: stagingDirectory) }
        let files = staged.compactMap(\.file)
        let finish = self.finish
        archiver.finish(jobs: jobs, rebuild: rebuild) { result in
            finish(recorder.record(result, files: files, message: "batch sealed"))
        }
    }
}
