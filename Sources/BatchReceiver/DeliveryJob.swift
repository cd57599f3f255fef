import BatchArchive
import BatchCore
import Crypto
import Foundation
import Logging
import SSHKit

/// Fetches one accepted batch into the inbox: pieces from the server over
/// `fetch` channels, each verified before it is kept, resuming from the
/// pieces a previous attempt left; then the whole archive's SHA-256, fsync,
/// and an atomic rename to `INBOX/<id>-<name>.tar.gz`. Runs on a thread of
/// its own with an SSH session of its own; it is handed to that thread
/// and used by no other.
final class DeliveryJob: @unchecked Sendable {
    enum Outcome: Sendable, Equatable {
        case delivered(receivedFrom: [String: Int64])
        case failed(String)
    }

    private let offer: Offer
    private let inbox: Inbox
    private let configuration: ReceiverConfiguration
    private var logger: Logger
    private let report: @Sendable (SubscriptionMessage) -> Void
    private let progress: ProgressLine?
    /// Rounds of fetching missing pieces before giving up.
    static let maxRounds = 6

    init(offer: Offer, inbox: Inbox, configuration: ReceiverConfiguration, logger: Logger,
         progress: ProgressLine?, report: @escaping @Sendable (SubscriptionMessage) -> Void) {
        self.offer = offer
        self.inbox = inbox
        self.configuration = configuration
        self.logger = logger
        self.logger[metadataKey: "batch"] = "\(offer.batch)"
        self.progress = progress
        self.report = report
    }

    func run() -> Outcome {
        do {
            return .delivered(receivedFrom: try deliver())
        } catch {
            logger.error("delivery failed", metadata: ["error": "\(error)"])
            return .failed(error.description)
        }
    }

    private func deliver() throws(ReceiverError) -> [String: Int64] {
        let final = inbox.archivePath(of: offer)
        if FileManager.default.fileExists(atPath: final), try sha256(ofFile: final) == offer.sha256 {
            logger.info("already in the inbox", metadata: ["path": "\(final)"])
            try extractIfAsked(final)
            return [:]
        }
        let partial = inbox.partialPath(of: offer)
        let existed = FileManager.default.fileExists(atPath: partial)
        let descriptor = open(partial, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .storage(path: partial, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(offer.size)) == 0 else {
            throw .storage(path: partial, reason: String(cString: strerror(errno)))
        }
        let held = existed ? PieceAssembler.verifiedPieces(of: offer, descriptor: descriptor) : []
        if !held.isEmpty {
            logger.info("resuming from pieces already held", metadata: ["held": "\(held.count)", "pieces": "\(offer.pieceCount)"])
        }
        var assembler = PieceAssembler(offer: offer, descriptor: descriptor, have: held)
        var fromServer: Int64 = 0
        var round = 0
        var lastError = "no attempt was made"
        while assembler.have.count < offer.pieceCount {
            round += 1
            guard round <= DeliveryJob.maxRounds else {
                throw .fetchFailed(batch: offer.batch, reason: lastError)
            }
            if round > 1 { Thread.sleep(forTimeInterval: min(0.5 * Double(1 << (round - 2)), 8)) }
            do {
                fromServer += try fetchMissing(into: &assembler)
            } catch {
                lastError = error.description
                logger.warning("fetch interrupted; will resume", metadata: ["error": "\(error)", "round": "\(round)"])
            }
            if !assembler.rejected.isEmpty {
                lastError = "pieces \(assembler.rejected) did not match their hashes"
                logger.warning("pieces refused: wrong SHA-256; fetching them again", metadata: ["pieces": "\(assembler.rejected)"])
                assembler.clearRejected()
            }
        }
        progress?.finish()
        guard fsync(descriptor) == 0 else { throw .storage(path: partial, reason: String(cString: strerror(errno))) }
        let digest = try sha256(ofFile: partial)
        guard digest == offer.sha256 else {
            unlink(partial)
            throw .corruptArchive(batch: offer.batch, expected: offer.sha256, got: digest)
        }
        guard rename(partial, final) == 0 else { throw .storage(path: final, reason: String(cString: strerror(errno))) }
        syncDirectory(inbox.directory)
        logger.info("delivered", metadata: ["path": "\(final)", "size": "\(offer.size)", "from_server": "\(fromServer)"])
        try extractIfAsked(final)
        return fromServer > 0 ? ["server": fromServer] : [:]
    }

    /// One pass over the missing pieces: a `fetch` channel per contiguous run.
    private func fetchMissing(into assembler: inout PieceAssembler) throws(SSHKitError) -> Int64 {
        let session = try SSHClientSession(configuration: configuration.client)
        defer { session.close() }
        var kept: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        for run in DeliveryJob.runs(missing: (0 ..< offer.pieceCount).filter { !assembler.have.contains($0) }) {
            let request = FetchRequest(batch: offer.batch, first: run.lowerBound, last: run.upperBound)
            let channel = try session.exec(request.commandLine)
            defer { channel.close() }
            assembler.begin(at: run.lowerBound)
            while true {
                let count = try buffer.withUnsafeMutableBytes { raw in
                    Result { () throws(SSHKitError) in try channel.read(into: raw, timeout: 60) }
                }.get()
                guard let count else { break }
                if count == 0 { throw .channel("no data from the server for 60 seconds") }
                let fed = buffer.withUnsafeBytes { raw in
                    Result { () throws(ReceiverError) in try assembler.feed(UnsafeRawBufferPointer(rebasing: raw[0 ..< count])) }
                }
                switch fed {
                case .success(let bytes): kept += bytes
                case .failure(let error): throw .channel(error.description)
                }
                let total = Int64(assembler.have.count) * Int64(offer.pieceSize)
                progress?.update(bytes: min(total, offer.size), total: offer.size, source: "server")
                reportProgress(bytes: min(total, offer.size))
            }
            if let status = channel.exitStatus, status != 0 {
                throw .channel("the server refused the fetch: \(channel.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
        return kept
    }

    private var lastReport = Date.distantPast

    private func reportProgress(bytes: Int64) {
        // Once a second is plenty for `watch` and the logs.
        let now = Date()
        guard now.timeIntervalSince(lastReport) >= 1 else { return }
        lastReport = now
        report(.progress(batch: offer.batch, bytes: bytes, total: offer.size, source: "server"))
    }

    /// Contiguous runs of piece indices, e.g. [0,1,2,5,6] → [0...2, 5...6].
    static func runs(missing: [Int]) -> [ClosedRange<Int>] {
        var runs: [ClosedRange<Int>] = []
        for index in missing {
            if let last = runs.last, last.upperBound + 1 == index {
                runs[runs.count - 1] = last.lowerBound ... index
            } else {
                runs.append(index ... index)
            }
        }
        return runs
    }

    private func extractIfAsked(_ archive: String) throws(ReceiverError) {
        guard configuration.extract else { return }
        let folder = inbox.extractPath(of: offer)
        guard !FileManager.default.fileExists(atPath: folder) else { return }
        do {
            let summary = try SafeExtractor.extract(archive: archive, into: folder)
            logger.info("extracted", metadata: ["path": "\(folder)", "files": "\(summary.files)"])
        } catch {
            throw .extraction(error.description)
        }
    }

    private func sha256(ofFile path: String) throws(ReceiverError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .storage(path: path, reason: "cannot open for reading")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw .storage(path: path, reason: error.localizedDescription)
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().hexString
    }

    private func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
