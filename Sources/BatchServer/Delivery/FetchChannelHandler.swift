import BatchCore
import BatchStore
import Foundation
import Logging
import SSHKit

/// `fetch ID FIRST LAST`: streams the raw bytes of pieces FIRST…LAST of a
/// sealed archive, as fast as the client's window allows and no faster,
/// so a slow reader costs a bounded buffer. Confined to the loop thread.
final class FetchChannelHandler: SSHChannelHandler, @unchecked Sendable {
    private let request: FetchRequest
    private let user: String
    private let catalogue: Catalogue
    private let faults: FaultInjection
    private let pieceSize: Int64
    private var logger: Logger
    private let descriptor: Int32
    private var position: Int64
    private let end: Int64
    private var finished = false
    /// One chunk, or the whole range when it is smaller: a fetch of a
    /// small batch does not hold a full chunk.
    private var buffer: [UInt8]
    /// Bytes read ahead of the client's window.
    static let highWater = 4 << 20
    static let chunk = 256 << 10

    /// Opens the archive range; throws a sentence for the client when the
    /// request is not allowed.
    init(request: FetchRequest, user: String, channel: SSHChannel, catalogue: Catalogue,
         faults: FaultInjection, logger: Logger) throws(DeliveryError) {
        self.request = request
        self.user = user
        self.catalogue = catalogue
        self.faults = faults
        self.logger = logger
        self.logger[metadataKey: "batch"] = "\(request.batch)"
        self.logger[metadataKey: "channel"] = "fetch"
        let state: OfferState?
        let detail: BatchDetail?
        do {
            state = try catalogue.offerState(batch: request.batch, target: user)
            detail = try catalogue.batch(id: request.batch)
        } catch {
            throw .catalogue("\(error)")
        }
        guard let state, let detail else { throw .notOffered(batch: request.batch, user: user) }
        guard state == .accepted || state == .delivered else {
            throw .notAccepted(batch: request.batch, state: state.rawValue)
        }
        guard detail.state == .sealed, let archive = detail.archive, let size = detail.size,
              let pieceSize = detail.pieceSize else {
            throw .unavailable(batch: request.batch, state: detail.state.rawValue)
        }
        guard request.last < detail.pieceCount else {
            throw .pieceRange(batch: request.batch, pieces: detail.pieceCount)
        }
        self.pieceSize = Int64(pieceSize)
        position = Int64(request.first) * Int64(pieceSize)
        end = min(Int64(request.last + 1) * Int64(pieceSize), size)
        buffer = [UInt8](repeating: 0, count: Int(max(0, min(Int64(FetchChannelHandler.chunk), end - position))))
        descriptor = open(archive, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unavailable(batch: request.batch, state: "missing its archive") }
        channel.execute { [self] in pump(channel) }
    }

    deinit {
        close(descriptor)
    }

    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer) {}

    func channelReceivedEOF(_ channel: SSHChannel) {}

    func channelDrained(_ channel: SSHChannel) {
        pump(channel)
    }

    func channelClosed(_ channel: SSHChannel) {
        guard !finished else { return }
        finished = true
        let served = position - Int64(request.first) * pieceSize - Int64(channel.pendingBytes)
        record(max(0, served), complete: false)
    }

    private func pump(_ channel: SSHChannel) {
        while !finished, !channel.isClosed, position < end, channel.pendingBytes < FetchChannelHandler.highWater {
            let count = Int(min(Int64(FetchChannelHandler.chunk), end - position))
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
            record(end - Int64(request.first) * pieceSize, complete: true)
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
        do {
            try catalogue.addReceivedBytes(batch: request.batch, target: user, source: "server", bytes: bytes)
        } catch {
            logger.error("cannot record served bytes", metadata: ["error": "\(error)"])
        }
        logger.info("pieces served", metadata: [
            "first": "\(request.first)", "last": "\(request.last)", "bytes": "\(bytes)", "complete": "\(complete)",
        ])
    }
}
