import BatchArchive
import Dispatch
import Foundation

/// Streams a batch's completed files into its archive on a serial queue of
/// its own, beside the network loop, so that sealing after the last file
/// costs only the gzip trailer and an fsync. A large file is archived while
/// it is still being uploaded (`StreamedUpload`); entries that complete
/// meanwhile wait, in order, until it ends. When a stream breaks, the
/// archive is built again from staging at `finish`.
final class BatchArchiver: @unchecked Sendable {
    let archivePath: String
    private let pieceSize: Int
    private let level: Int32
    private let queue: DispatchQueue
    // Touched only on `queue`:
    private var writer: ArchiveWriter?
    private var failure: String?
    /// The upload being streamed into the archive, if any.
    private var streaming: StreamedUpload?
    /// Entries that completed while `streaming` is open, in order.
    private var waiting: [ArchiveJob] = []
    /// Set when a stream broke: the archive so far is of no use, and
    /// `finish` builds it again from the whole list of entries.
    private var broken = false

    init(batch: Int64, archivePath: String, pieceSize: Int, level: Int32) {
        self.archivePath = archivePath
        self.pieceSize = pieceSize
        self.level = level
        queue = DispatchQueue(label: "archiver-\(batch)", qos: .utility)
    }

    /// Appends an entry in the background.
    func append(_ job: ArchiveJob) {
        queue.async { [self] in
            if streaming != nil {
                waiting.append(job)
            } else {
                perform(job)
            }
        }
    }

    /// Starts archiving `upload` as the next entry while it is written.
    func beginStream(_ upload: StreamedUpload) {
        queue.async { [self] in
            guard streaming == nil, usable else { return }
            do throws(ArchiveError) {
                let writer = try openWriter()
                if let header = upload.announced {
                    try writer.beginStreamedFile(from: upload.stagingPath, path: header.path, size: header.size,
                                                 mode: header.mode, mtime: header.mtime)
                } else {
                    try writer.beginStreamedFile(from: upload.stagingPath)
                }
                streaming = upload
            } catch {
                failure = error.description
            }
        }
    }

    /// Takes what `upload` has written in order since the last call.
    func advance(_ upload: StreamedUpload) {
        queue.async { [self] in
            upload.wokeUp()
            guard streaming === upload, usable, !upload.isBroken else { return }
            do throws(ArchiveError) {
                try writer?.advanceStreamedFile(to: upload.writtenInOrder)
            } catch {
                failure = error.description
            }
        }
    }

    /// Ends `upload`'s entry: it completed at `size` bytes under `path`.
    func endStream(_ upload: StreamedUpload, path: String, size: UInt64, mode: UInt32, mtime: Int64) {
        queue.async { [self] in
            guard streaming === upload else { return }
            streaming = nil
            if usable {
                do throws(ArchiveError) {
                    try writer?.endStreamedFile(path: path, size: size, mode: mode, mtime: mtime)
                } catch .streamedHeaderTooLarge, .streamedHeaderChanged {
                    broken = true
                } catch {
                    failure = error.description
                }
            }
            let jobs = waiting
            waiting = []
            for job in jobs { perform(job) }
        }
    }

    /// `upload` stopped being written in order, or was abandoned.
    func breakStream(_ upload: StreamedUpload) {
        queue.async { [self] in
            guard streaming === upload else { return }
            streaming = nil
            broken = true
            waiting = []
        }
    }

    /// Finishes the archive after every queued step. It is written again
    /// from `jobs`, the batch's entries in order, when `rebuild` (the tree
    /// changed after some files were archived: a rename or remove) or when a
    /// stream broke; otherwise `jobs` is not used.
    func finish(jobs: [ArchiveJob], rebuild: Bool, completion: @escaping @Sendable (Result<ArchiveSummary, IngestError>) -> Void) {
        queue.async { [self] in
            if rebuild || broken || streaming != nil {
                writer?.abort()
                writer = nil
                failure = nil
                broken = false
                streaming = nil
                waiting = []
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
            streaming = nil
            waiting = []
            completion()
        }
    }

    private var usable: Bool { failure == nil && !broken }

    private func perform(_ job: ArchiveJob) {
        guard usable else { return }
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
