import BatchStore
import Foundation
import Logging

/// What a previous run cut short, put right at start. A batch whose upload
/// was recorded finished (and vetted by its pre-seal hook) is sealed from
/// its staging folder, in the background, one batch at a time; any other
/// open batch is failed, its upload never having finished. Archives no
/// sealed or sealing batch owns are removed.
struct InterruptedBatches {
    let context: IngestContext
    let logger: Logger

    /// Fails the unfinished batches and removes orphan archives now, then
    /// starts sealing the finished ones; `context.pendingSeals` counts
    /// those until each is recorded.
    func recover() throws {
        let finished = try context.catalogue.finishedUploads()
        let failed = try context.catalogue.failUnfinishedUploads(
            reason: "the server stopped before the upload finished or while the pre-seal hook ran")
        for id in failed {
            logger.warning("batch left open by a previous run marked failed", metadata: ["batch": "\(id)"])
            try? FileManager.default.removeItem(atPath: context.layout.staging + "/\(id)")
            try? FileManager.default.removeItem(atPath: context.layout.archive(batch: id))
        }
        removeOrphanArchives()
        removeOrphanStaging(keeping: Set(finished.map(\.id)))
        for _ in finished { context.pendingSeals.enter() }
        seal(finished[...])
    }

    /// Seals the first of `batches`, then the rest.
    private func seal(_ batches: ArraySlice<FinishedUpload>) {
        guard let batch = batches.first else { return }
        let rest = batches.dropFirst()
        let group = context.pendingSeals
        seal(batch) {
            group.leave()
            seal(rest)
        }
    }

    /// Builds `batch`'s archive again from its staging folder and records
    /// it sealed, or failed if staging no longer holds every file whole.
    private func seal(_ batch: FinishedUpload, then next: @escaping @Sendable () -> Void) {
        var logger = self.logger
        logger[metadataKey: "batch"] = "\(batch.id)"
        logger[metadataKey: "user"] = "\(batch.source)"
        let staging = context.layout.staging + "/\(batch.id)"
        let archivePath = context.layout.archive(batch: batch.id)
        let recorder = SealRecorder(id: batch.id, source: batch.source, topic: batch.topic, archivePath: archivePath,
                                    stagingDirectory: staging, context: context, logger: logger)
        logger.notice("sealing a batch a restart interrupted, from staging", metadata: ["entries": "\(batch.entries.count)"])
        do throws(InterruptedSealError) {
            // The archive the crash cut short, or finished but never recorded.
            if FileManager.default.fileExists(atPath: archivePath) {
                do {
                    try FileManager.default.removeItem(atPath: archivePath)
                } catch {
                    throw .archiveNotRemovable(path: archivePath, reason: error.localizedDescription)
                }
            }
            try InterruptedBatches.checkStaging(batch.entries, in: staging)
        } catch {
            logger.error("batch failed after restart", metadata: ["error": "\(error)"])
            recorder.fail(error.description)
            recorder.removeStaging()
            return next()
        }
        let archiver = BatchArchiver(batch: batch.id, archivePath: archivePath, pieceSize: context.pieceSize,
                                     level: context.compressionLevel)
        let files = batch.entries.compactMap(\.file)
        archiver.finish(jobs: batch.entries.map { ArchiveJob($0, in: staging) }, rebuild: true) { result in
            recorder.record(result, files: files, message: "batch sealed after restart")
            next()
        }
    }

    /// Throws unless every file of `entries` is in `staging` at the size
    /// its upload finished with.
    static func checkStaging(_ entries: [StagedEntry], in staging: String) throws(InterruptedSealError) {
        for entry in entries {
            guard case .file(let name, let size) = entry.kind else { continue }
            var info = stat()
            guard stat(staging + "/" + name, &info) == 0 else {
                throw .stagedFileMissing(path: entry.path, reason: String(cString: strerror(errno)))
            }
            guard Int64(info.st_size) == size else {
                throw .stagedFileChanged(path: entry.path, expected: size, actual: Int64(info.st_size))
            }
        }
    }

    /// Staging folders of no batch left to seal: a batch whose id was
    /// handed out but whose row a crash kept from the catalogue leaves one,
    /// and the id may be handed out again.
    private func removeOrphanStaging(keeping: Set<Int64>) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: context.layout.staging)) ?? []
        for name in names {
            if let id = Int64(name), keeping.contains(id) { continue }
            let path = context.layout.staging + "/" + name
            do {
                try FileManager.default.removeItem(atPath: path)
                logger.warning("staging folder of no open batch removed", metadata: ["folder": "\(name)"])
            } catch {
                logger.error("cannot remove an orphan staging folder", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
    }

    /// Archives whose batch is not sealed (purged, failed, or unknown), as a
    /// purge or seal interrupted by a crash can leave, are removed.
    private func removeOrphanArchives() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: context.layout.archives)) ?? []
        for name in names where name.hasSuffix(".tar.gz") {
            guard let id = Int64(name.dropLast(".tar.gz".count)) else { continue }
            let state = (try? context.catalogue.batch(id: id))??.state
            guard state != .sealed, state != .open else { continue }
            let path = context.layout.archive(batch: id)
            do {
                try FileManager.default.removeItem(atPath: path)
                logger.warning("archive left by an interrupted purge or seal removed",
                               metadata: ["batch": "\(id)", "state": "\(state?.rawValue ?? "unknown")"])
            } catch {
                logger.error("cannot remove an orphan archive", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
    }
}
