import BatchArchive
import BatchCore
import Crypto
import Foundation
import Logging
import SSHKit

/// Fetches one accepted batch into the inbox: pieces from the server or
/// from peers over `fetch` channels, each verified before it is kept (the
/// server's, by a target that serves no peers, by the whole archive's
/// SHA-256 alone, and one by one only if that fails), resuming from the
/// pieces a previous attempt left; then the whole archive's SHA-256, fsync,
/// and an atomic rename to `INBOX/<id>-<name>.tar.gz`. Runs on a thread of
/// its own with an SSH session of its own; it is handed to that thread
/// and used by no other.
final class DeliveryJob: @unchecked Sendable {
    enum Outcome: Sendable, Equatable {
        case delivered(receivedFrom: [String: Int64])
        case failed(String)
    }

    /// The accepted offer; with its piece list once ``deliver()`` began,
    /// fetched from the server when the offer left it out.
    private var offer: Offer
    private let inbox: Inbox
    private let configuration: ReceiverConfiguration
    private var logger: Logger
    private let report: @Sendable (SubscriptionMessage) -> Void
    private let progress: ProgressLine?
    private let shelf: PeerShelf
    private let plans: PlanBox
    /// Sources that failed or served a bad piece for this batch.
    private var badSources = Set<String>()
    /// Failed attempts per peer; a peer is dropped after `peerAttempts`,
    /// waiting 0.3 s, then twice as long each time (4.5 s in all): on a busy
    /// machine a peer's grant can reach it well after our plan reached us.
    private var peerFailures: [String: Int] = [:]
    static let peerAttempts = 5
    private var receivedFrom: [String: Int64] = [:]
    /// Judges each peer transfer against the batch's other sources.
    private var floor = ThroughputFloor()
    /// Why the transfer that just failed was cut off for being too slow.
    private var tooSlow: ThroughputFloor.Verdict?
    /// Rounds of fetching missing pieces before giving up.
    static let maxRounds = 8
    /// Seconds without a byte from the server before a fetch from it is
    /// given up and started again.
    static let serverSilence = 90.0

    init(offer: Offer, inbox: Inbox, configuration: ReceiverConfiguration, shelf: PeerShelf, plans: PlanBox,
         logger: Logger, progress: ProgressLine?, report: @escaping @Sendable (SubscriptionMessage) -> Void) {
        self.offer = offer
        self.inbox = inbox
        self.configuration = configuration
        self.shelf = shelf
        self.plans = plans
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
        if !offer.piecesListed {
            offer = try PieceListFetch.complete(offer, client: configuration.client)
            logger.info("piece list fetched from the server", metadata: ["pieces": "\(offer.pieceCount)"])
        }
        let final = inbox.archivePath(of: offer)
        if FileManager.default.fileExists(atPath: final), try sha256(ofFile: final) == offer.sha256 {
            logger.info("already in the inbox", metadata: ["path": "\(final)"])
            let descriptor = open(final, O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 {
                shelf.add(PieceStore(offer: offer, descriptor: descriptor, held: Set(0 ..< offer.pieceCount)))
            }
            try extractIfAsked(final)
            return [:]
        }
        let partial = inbox.partialPath(of: offer)
        let existed = FileManager.default.fileExists(atPath: partial)
        let descriptor = open(partial, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .storage(path: partial, reason: String(cString: strerror(errno))) }
        guard ftruncate(descriptor, off_t(offer.size)) == 0 else {
            close(descriptor)
            throw .storage(path: partial, reason: String(cString: strerror(errno)))
        }
        let held = existed ? PieceAssembler.verifiedPieces(of: offer, descriptor: descriptor) : []
        if !held.isEmpty {
            logger.info("resuming from pieces already held", metadata: ["held": "\(held.count)", "pieces": "\(offer.pieceCount)"])
        }
        // The store owns the descriptor; peers are served from it as pieces arrive.
        let store = PieceStore(offer: offer, descriptor: descriptor, held: held)
        shelf.add(store)
        var assembler = PieceAssembler(store: store)
        var round = 0
        var lastError = "no attempt was made"
        // The server answers an accept with a plan at once; an older
        // server sends none, and the batch comes from the server.
        _ = plans.current(waiting: 10)
        while true {
            try fetchAll(into: &assembler, round: &round, lastError: &lastError)
            progress?.finish()
            guard fsync(store.descriptor) == 0 else { throw .storage(path: partial, reason: String(cString: strerror(errno))) }
            let digest: String
            if let streamed = assembler.wholeDigest() {
                digest = streamed
            } else {
                digest = try sha256(ofFile: partial)
            }
            if digest == offer.sha256 { break }
            // Pieces taken from the server unchecked are checked now; the
            // bad ones are fetched again, the rest kept.
            let bad = assembler.recheck()
            guard !bad.isEmpty else {
                unlink(partial)
                throw .corruptArchive(batch: offer.batch, expected: offer.sha256, got: digest)
            }
            lastError = "pieces \(bad) from the server did not match their hashes"
            logger.warning("the archive's SHA-256 did not match; fetching the pieces that fail their own hashes again",
                           metadata: ["pieces": "\(bad)"])
        }
        CrashPoint.land.reached()
        guard rename(partial, final) == 0 else { throw .storage(path: final, reason: String(cString: strerror(errno))) }
        syncDirectory(inbox.directory)
        logger.info("delivered", metadata: ["path": "\(final)", "size": "\(offer.size)", "from": "\(receivedFrom)"])
        try extractIfAsked(final)
        return receivedFrom.filter { $0.value > 0 }
    }

    /// Rounds of fetching until every piece is held, each from the best
    /// source of the current plan; `round` counts them across calls, up
    /// to `maxRounds`.
    private func fetchAll(into assembler: inout PieceAssembler, round: inout Int,
                          lastError: inout String) throws(ReceiverError) {
        while assembler.have.count < offer.pieceCount {
            round += 1
            guard round <= DeliveryJob.maxRounds else {
                throw .fetchFailed(batch: offer.batch, reason: lastError)
            }
            let source = chooseSource()
            if round > 1, source.isServer { Thread.sleep(forTimeInterval: min(0.25 * Double(1 << min(round - 2, 5)), 8)) }
            do {
                try fetchMissing(from: source, into: &assembler)
            } catch {
                // Pieces read before the failure are still checked and kept.
                let late = assembler.finish()
                if late > 0 { receivedFrom[source.name, default: 0] += late }
                lastError = "\(source.name): \(error.description)"
                logger.warning("fetch interrupted; will resume", metadata: ["source": "\(source.name)", "error": "\(error)", "round": "\(round)"])
                if let verdict = tooSlow {
                    // Not retried: a peer that trickles would trickle again.
                    tooSlow = nil
                    drop(source, reason: verdict.sentence)
                } else if !source.isServer, case .connect = error {
                    // Nothing listens there (the peer died): waiting would
                    // only starve the targets that fetch from this one.
                    drop(source, reason: "cannot be reached: \(error.description)")
                } else if !source.isServer {
                    // A peer may refuse us for a moment: its grant for this
                    // batch can reach it just after our plan reached us.
                    peerFailures[source.name, default: 0] += 1
                    let failures = peerFailures[source.name, default: 0]
                    if failures >= DeliveryJob.peerAttempts {
                        drop(source, reason: "failed \(failures) times, the last: \(error.description)")
                    } else {
                        Thread.sleep(forTimeInterval: 0.3 * Double(1 << (failures - 1)))
                        round -= 1
                    }
                }
            }
            if !assembler.rejected.isEmpty {
                lastError = "pieces \(assembler.rejected) from \(source.name) did not match their hashes"
                logger.warning("pieces refused: wrong SHA-256; fetching them again", metadata: ["source": "\(source.name)", "pieces": "\(assembler.rejected)"])
                if !source.isServer { drop(source, reason: "served pieces that did not match their hashes") }
                assembler.clearRejected()
            }
        }
    }

    /// Stops fetching this batch from the peer `source`, and tells the
    /// server why, so that it plans without it.
    private func drop(_ source: PlanSource, reason: String) {
        guard !source.isServer, badSources.insert(source.name).inserted else { return }
        logger.warning("peer source dropped for this batch", metadata: ["source": "\(source.name)", "reason": "\(reason)"])
        report(.dropped(batch: offer.batch, source: source.name, reason: reason))
    }

    /// The best source of the current plan that has not failed; the server
    /// when the plan names none.
    private func chooseSource() -> PlanSource {
        let sources = plans.current(waiting: 0)?.sources ?? []
        return sources.first { !$0.isServer && !badSources.contains($0.name) && $0.address != nil && $0.hostKey != nil }
            ?? PlanSource.server
    }

    /// The client settings for `source`: the server as configured, or a
    /// peer pinned to the host key the server vouched for.
    private func clientConfiguration(for source: PlanSource) throws(SSHKitError) -> SSHClientConfiguration {
        guard !source.isServer, let address = source.address, let hostKey = source.hostKey else {
            return configuration.client
        }
        let hostPort: HostPort
        do {
            hostPort = try HostPort(parsing: address)
        } catch {
            throw .connect(host: address, port: 0, reason: "the plan gave a bad address: \(error)")
        }
        let parts = hostKey.split(separator: " ")
        guard parts.count >= 2 else { throw .connect(host: hostPort.host, port: hostPort.port, reason: "the plan gave a bad host key") }
        return SSHClientConfiguration(host: hostPort.host, port: hostPort.port, user: configuration.user,
                                      identityPath: configuration.identity,
                                      hostKeyPolicy: .pinned(SSHPublicKey(type: String(parts[0]), base64: String(parts[1]))))
    }

    /// One pass over the missing pieces from one source: a `fetch`
    /// channel per contiguous run, each piece verified as it arrives.
    private func fetchMissing(from source: PlanSource, into assembler: inout PieceAssembler) throws(SSHKitError) {
        let session = try SSHClientSession(configuration: try clientConfiguration(for: source))
        defer { session.close() }
        // A target that serves no peers takes the server's pieces on its
        // word, for the whole archive's SHA-256 to vouch for: one SHA-256
        // pass instead of two. A peer's pieces, and pieces this target
        // will serve, are each checked before they are kept.
        assembler.trustsSource = source.isServer && configuration.listen == nil
        for run in DeliveryJob.runs(missing: (0 ..< offer.pieceCount).filter { !assembler.have.contains($0) }) {
            let request = FetchRequest(batch: offer.batch, first: run.lowerBound, last: run.upperBound)
            let started = Date()
            var kept: Int64 = 0
            let channel = try session.exec(request.commandLine)
            // Opening a channel and its exec request are two round trips.
            let rttMs = Date().timeIntervalSince(started) * 1000 / 2
            defer { channel.close() }
            assembler.begin(at: run.lowerBound)
            var lastData = ProcessInfo.processInfo.systemUptime
            var lastJudged = lastData
            floor.begin(source: source.name, at: lastData)
            // Waits for the pieces still being checked and counts them.
            func settle() {
                let late = assembler.finish()
                kept += late
                receivedFrom[source.name, default: 0] += late
            }
            while true {
                // Straight into the piece being filled: no copy on the way.
                let count = try assembler.withFreeSpace { (space: UnsafeMutableRawBufferPointer) throws(SSHKitError) -> Int? in
                    try channel.read(into: space, timeout: 1)
                }
                guard let count else {
                    settle()
                    break
                }
                let now = ProcessInfo.processInfo.systemUptime
                if count > 0 {
                    lastData = now
                    floor.received(count, at: now)
                }
                if !source.isServer, now - lastJudged >= 0.25 {
                    lastJudged = now
                    if let verdict = floor.verdict(at: now) {
                        tooSlow = verdict
                        throw .channel("\(source.name) is \(verdict.sentence)")
                    }
                }
                if count == 0 {
                    guard now - lastData < DeliveryJob.serverSilence else {
                        throw .channel("no data from \(source.name) for \(Int(DeliveryJob.serverSilence)) seconds")
                    }
                    continue
                }
                do throws(ReceiverError) {
                    let bytes = try assembler.didFill(count)
                    kept += bytes
                    receivedFrom[source.name, default: 0] += bytes
                    if !source.isServer, kept > 0, 2 * assembler.have.count >= offer.pieceCount {
                        CrashPoint.relayFetch.reached()
                    }
                } catch {
                    throw .channel(error.description)
                }
                let total = Int64(assembler.have.count) * Int64(offer.pieceSize)
                progress?.update(bytes: min(total, offer.size), total: offer.size, source: source.name)
                reportProgress(bytes: min(total, offer.size), source: source.name)
                if !assembler.rejected.isEmpty {
                    settle()
                    return
                }
            }
            let seconds = Date().timeIntervalSince(started)
            if kept > 0 {
                report(.sample(LinkSampleReport(batch: offer.batch, source: source.name, bytes: kept, seconds: seconds, rttMs: rttMs)))
            }
            if let status = channel.exitStatus, status != 0 {
                throw .channel("\(source.name) refused the fetch: \(channel.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
    }

    private var lastReport = Date.distantPast

    private func reportProgress(bytes: Int64, source: String) {
        // Once a second is plenty for `watch` and the logs.
        let now = Date()
        guard now.timeIntervalSince(lastReport) >= 1 else { return }
        lastReport = now
        report(.progress(batch: offer.batch, bytes: bytes, total: offer.size, source: source))
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
            let limits = ExtractionLimits(maxExpansion: configuration.maxExpansion, reserve: ExtractionLimits.standard.reserve)
            let summary = try SafeExtractor.extract(archive: archive, into: folder, limits: limits)
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
