import BatchArchive
import Dispatch
import Foundation

/// Streams a batch's completed files into its archive on a serial queue of
/// its own, beside the network loop, so that sealing after the last file
/// costs only the gzip trailer and an fsync.
final class BatchArchiver: @unchecked Sendable {
    let archivePath: String
    private let pieceSize: Int
    private let level: Int32
    private let queue: DispatchQueue
    // Touched only on `queue`:
    private var writer: ArchiveWriter?
    private var failure: String?

    init(batch: Int64, archivePath: String, pieceSize: Int, level: Int32) {
        self.archivePath = archivePath
        self.pieceSize = pieceSize
        self.level = level
        queue = DispatchQueue(label: "archiver-\(batch)", qos: .utility)
    }

    /// Appends an entry in the background.
    func append(_ job: ArchiveJob) {
        queue.async { [self] in
            perform(job)
        }
    }

    /// Finishes the archive after every queued append. With `rebuild`, the
    /// streamed archive is thrown away first and written again from `jobs`
    /// (the tree changed after some files were archived: a rename or remove).
    func finish(rebuild jobs: [ArchiveJob]?, completion: @escaping @Sendable (Result<ArchiveSummary, IngestError>) -> Void) {
        queue.async { [self] in
            if let jobs {
                writer?.abort()
                writer = nil
                failure = nil
                for job in jobs { perform(job) }
            }
            completion(seal())
        }
    }

    /// Throws the archive away (the batch had nothing complete).
    func discard(completion: @escaping @Sendable () -> Void) {
        queue.async { [self] in
            writer?.abort()
            writer = nil
            completion()
        }
    }

    private func perform(_ job: ArchiveJob) {
        guard failure == nil else { return }
        do {
            let writer = try openWriter()
            switch job {
            case .directory(let path, let mode, let mtime):
                try writer.appendDirectory(path: path, mode: mode, mtime: mtime)
            case .file(let path, let stagingPath, let mode, let mtime):
                _ = try writer.appendFile(path: path, from: stagingPath, mode: mode, mtime: mtime)
            }
        } catch {
            failure = error.description
        }
    }

    private func openWriter() throws(ArchiveError) -> ArchiveWriter {
        if let writer { return writer }
        let created = try ArchiveWriter(path: archivePath, pieceSize: pieceSize, level: level)
        writer = created
        return created
    }

    private func seal() -> Result<ArchiveSummary, IngestError> {
        if let failure {
            writer?.abort()
            writer = nil
            return .failure(.storage(failure))
        }
        do {
            let summary = try openWriter().finish()
            writer = nil
            return .success(summary)
        } catch {
            writer?.abort()
            writer = nil
            return .failure(.storage(error.description))
        }
    }
}
