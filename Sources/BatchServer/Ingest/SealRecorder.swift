import BatchArchive
import BatchCore
import BatchStore
import Foundation
import Logging

/// The last steps of a seal, once the archive is built or failed: the
/// catalogue says `sealed` (with a pending offer per recipient, pushed to
/// those online) or `failed` with the reason, and only then is the staging
/// folder removed. Shared by a seal after its upload and a seal a restart
/// finishes.
struct SealRecorder: Sendable {
    let id: Int64
    /// Whose quota the sealed bytes count against, and for which topic.
    let quotaKey: QuotaLedger.Key
    let archivePath: String
    let stagingDirectory: String
    let context: IngestContext
    let logger: Logger

    init(id: Int64, source: String, topic: String?, archivePath: String, stagingDirectory: String,
         context: IngestContext, logger: Logger) {
        self.id = id
        quotaKey = QuotaLedger.Key(source: source, topic: topic)
        self.archivePath = archivePath
        self.stagingDirectory = stagingDirectory
        self.context = context
        self.logger = logger
    }

    /// Records the batch sealed with `files` when `result` is an archive,
    /// logging `message`, and removes staging. When the archive could not
    /// be built (a full disk) or the seal not recorded, staging is kept and
    /// the batch stays finished-but-unsealed, so the next start seals it
    /// again from its staged files: a seal that fails loses nothing.
    @discardableResult
    func record(_ result: Result<ArchiveSummary, IngestError>, files: [FileEntry], message: Logger.Message) -> SealOutcome {
        switch result {
        case .success(let summary):
            CrashPoint.seal.reached()
            do {
                let recipients = try context.writer.write { catalogue throws(StoreError) in
                    try catalogue.sealBatch(
                        id: id, archivePath: archivePath,
                        summary: SealInfo(size: Int64(summary.size), sha256: summary.sha256,
                                          pieceSize: summary.pieceSize, pieces: summary.pieces),
                        files: files)
                }
                context.sealedDrops.add(files.reduce(0) { $0 + $1.size }, for: quotaKey)
                logger.info(message, metadata: [
                    "files": "\(files.count)", "size": "\(summary.size)", "sha256": "\(summary.sha256)",
                    "pieces": "\(summary.pieces.count)", "recipients": "\(recipients.count)",
                    "to": "\(NameListText.abbreviated(recipients))",
                ])
                context.notifier.batchSealed(id, recipients: recipients)
                removeStaging()
                return .sealed(id)
            } catch {
                return keptForRetry("\(error)")
            }
        case .failure(let error):
            return keptForRetry(error.description)
        }
    }

    private func keptForRetry(_ reason: String) -> SealOutcome {
        logger.error("cannot seal the batch now; its files stay in staging and the next start seals it",
                     metadata: ["error": "\(reason)"])
        return .failed(batch: id, reason: "\(reason); its files are kept, and batchd seals it when it next starts")
    }

    /// Records the batch failed for `reason`.
    @discardableResult
    func fail(_ reason: String) -> SealOutcome {
        do {
            try context.writer.write { catalogue throws(StoreError) in try catalogue.failBatch(id: id, reason: reason) }
        } catch {
            logger.error("cannot record failed batch", metadata: ["error": "\(error)"])
        }
        return .failed(batch: id, reason: reason)
    }

    /// Removes the staging folder, which the catalogue no longer needs.
    func removeStaging() {
        guard FileManager.default.fileExists(atPath: stagingDirectory) else { return }
        do {
            try FileManager.default.removeItem(atPath: stagingDirectory)
        } catch {
            logger.warning("cannot remove staging folder", metadata: ["error": "\(error.localizedDescription)"])
        }
    }
}
