import BatchCore
import BatchStore
import Foundation
import Logging
import SSHKit

/// `fetch ID FIRST LAST`: streams the raw bytes of pieces FIRST…LAST of a
/// sealed archive, as fast as the client's window allows and no faster,
/// so a slow reader costs a bounded buffer; `pieces ID FIRST LAST` streams
/// their hashes the same way. The request is checked on the
/// notifier's queue (the lifecycle's `fetch`, against the catalogue); the
/// bytes flow once the answer is back. Confined to the loop thread.
final class FetchChannelHandler: SSHChannelHandler, @unchecked Sendable {
    private let request: FetchRequest
    private let user: String
    private let notifier: Notifier
    private let faults: FaultInjection
    private var logger: Logger
    /// The range being served, once the check allowed it.
    private var pieceSize: Int64 = 1
    private var descriptor: Int32 = -1
    private var position: Int64 = 0
    private var end: Int64 = 0
    private var serving = false
    private var finished = false
    /// One chunk, or the whole range when it is smaller: a fetch of a
    /// small batch does not hold a full chunk.
    private var buffer: [UInt8] = []
    /// Bytes read ahead of the client's window.
    static let highWater = 4 << 20
    static let chunk = 256 << 10

    init(request: FetchRequest, user: String, channel: SSHChannel, notifier: Notifier, faults: FaultInjection, logger: Logger) {
        self.request = request
        self.user = user
        self.notifier = notifier
        self.faults = faults
        self.logger = logger
        self.logger[metadataKey: "batch"] = "\(request.batch)"
        self.logger[metadataKey: "channel"] = "fetch"
        notifier.checkFetch(request, user: user) { [self] answer in
            channel.execute { [self] in start(answer, on: channel) }
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    private func start(_ answer: Result<ServedArchive, DeliveryError>, on channel: SSHChannel) {
        guard !channel.isClosed else {
            finished = true
            return
        }
        let archive: ServedArchive
        switch answer {
        case .failure(let error):
            logger.notice("fetch refused", metadata: ["reason": "\(error)"])
            return fail("fetch: \(error)", on: channel)
        case .success(let allowed):
            archive = allowed
        }
        if let hashes = archive.hashes {
            // Hashes come from memory, as bytes 0..<count of their own.
            buffer = hashes
            end = Int64(hashes.count)
            serving = true
            return pump(channel)
        }
        descriptor = open(archive.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            return fail("fetch: \(DeliveryError.unavailable(batch: request.batch, state: "missing its archive"))", on: channel)
        }
        pieceSize = archive.pieceSize
        position = Int64(request.first) * pieceSize
        end = min(Int64(request.last + 1) * pieceSize, archive.size)
        buffer = [UInt8](repeating: 0, count: Int(max(0, min(Int64(FetchChannelHandler.chunk), end - position))))
        serving = true
        pump(channel)
    }

    private func fail(_ text: String, on channel: SSHChannel) {
        finished = true
        channel.writeStderr(TerminalText.escaped(text) + "\n")
        channel.close(exitStatus: 1)
    }

    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer) {}

    func channelReceivedEOF(_ channel: SSHChannel) {}

    func channelDrained(_ channel: SSHChannel) {
        if serving { pump(channel) }
    }

    func channelClosed(_ channel: SSHChannel) {
        guard serving, !finished else {
            finished = true
            return
        }
        finished = true
        guard request.content == .bytes else { return }
        let served = position - Int64(request.first) * pieceSize - Int64(channel.pendingBytes)
        record(max(0, served), complete: false)
    }

    private func pump(_ channel: SSHChannel) {
        while !finished, !channel.isClosed, position < end, channel.pendingBytes < FetchChannelHandler.highWater {
            let count = Int(min(Int64(FetchChannelHandler.chunk), end - position))
            if request.content == .hashes {
                buffer.withUnsafeBytes { channel.write(UnsafeRawBufferPointer(rebasing: $0[Int(position) ..< Int(position) + count])) }
                position += Int64(count)
                continue
            }
            let n = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(position)) }
            guard n > 0 else {
                logger.error("cannot read archive", metadata: ["error": "\(n < 0 ? String(cString: strerror(errno)) : "end of file")"])
                channel.writeStderr("batchd: the server could not read the archive\n")
                finished = true
                channel.close(exitStatus: 1)
                return
            }
            corruptIfAsked(count: n)
            buffer.withUnsafeBytes { channel.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            position += Int64(n)
            if position * 2 >= end + Int64(request.first) * pieceSize { CrashPoint.serve.reached() }
        }
        if !finished, position >= end {
            finished = true
            if request.content == .bytes { record(end - Int64(request.first) * pieceSize, complete: true) }
            channel.close(exitStatus: 0)
        }
    }

    private func corruptIfAsked(count: Int) {
        let piece = Int(position / pieceSize)
        if position % pieceSize == 0, faults.shouldCorrupt(batch: request.batch, piece: piece) {
            buffer[0] ^= 0xFF
            logger.warning("test fault: serving a corrupted piece", metadata: ["piece": "\(piece)"])
        }
    }

    private func record(_ bytes: Int64, complete: Bool) {
        guard bytes > 0 else { return }
        notifier.recordServed(bytes, batch: request.batch, to: user)
        logger.info("pieces served", metadata: [
            "first": "\(request.first)", "last": "\(request.last)", "bytes": "\(bytes)", "complete": "\(complete)",
        ])
    }
}
