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
    let archivePath: String
    let stagingDirectory: String
    let catalogue: Catalogue
    let notifier: Notifier
    let logger: Logger

    /// Records the batch sealed with `files` when `result` is an archive,
    /// failed otherwise, logging `message` on success; then removes staging.
    @discardableResult
    func record(_ result: Result<ArchiveSummary, IngestError>, files: [FileEntry], message: Logger.Message) -> SealOutcome {
        defer { removeStaging() }
        switch result {
        case .success(let summary):
            CrashPoint.seal.reached()
            do {
                let recipients = try catalogue.sealBatch(
                    id: id, archivePath: archivePath,
                    summary: SealInfo(size: Int64(summary.size), sha256: summary.sha256,
                                      pieceSize: summary.pieceSize, pieces: summary.pieces),
                    files: files)
                logger.info(message, metadata: [
                    "files": "\(files.count)", "size": "\(summary.size)", "sha256": "\(summary.sha256)",
                    "pieces": "\(summary.pieces.count)", "recipients": "\(recipients.count)",
                    "to": "\(NameListText.abbreviated(recipients))",
                ])
                notifier.batchSealed(id, recipients: recipients)
                return .sealed(id)
            } catch {
                logger.error("cannot record sealed batch", metadata: ["error": "\(error)"])
                return fail("\(error)")
            }
        case .failure(let error):
            logger.error("batch failed", metadata: ["error": "\(error)"])
            return fail(error.description)
        }
    }

    /// Records the batch failed for `reason`.
    @discardableResult
    func fail(_ reason: String) -> SealOutcome {
        do {
            try catalogue.failBatch(id: id, reason: reason)
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
