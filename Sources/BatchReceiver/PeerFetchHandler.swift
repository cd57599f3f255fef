import BatchCore
import Foundation
import Logging
import SSHKit

/// Serves pieces FIRST…LAST of a batch to a peer in order, each as soon
/// as it is verified here: a piece not yet held is waited for (the
/// delivery thread wakes the loop), so a chain of targets pipelines.
/// Confined to the listener's loop thread.
final class PeerFetchHandler: SSHChannelHandler, @unchecked Sendable {
    private let request: FetchRequest
    private let store: PieceStore
    private let channel: SSHChannel
    private let logger: Logger
    private var next: Int
    private var token: Int?
    private var buffer: [UInt8] = []
    private var served: Int64 = 0
    private var lastProgress = Date()
    /// A piece not held after this long ends the fetch; the peer moves on.
    static let patience: TimeInterval = 60

    init(request: FetchRequest, store: PieceStore, channel: SSHChannel, logger: Logger) {
        self.request = request
        self.store = store
        self.channel = channel
        self.logger = logger
        next = request.first
        token = store.watch { channel.execute { [weak self] in self?.pump() } }
        channel.execute { [self] in pump() }
        scheduleCheck()
    }

    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer) {}
    func channelReceivedEOF(_ channel: SSHChannel) {}

    func channelDrained(_ channel: SSHChannel) {
        pump()
    }

    func channelClosed(_ channel: SSHChannel) {
        stopWatching()
        logger.info("pieces served to peer", metadata: ["batch": "\(request.batch)", "bytes": "\(served)",
                                                        "complete": "\(next > request.last)"])
    }

    private func pump() {
        if next > request.first, channel.pendingBytes == 0, 2 * (next - request.first) >= request.last - request.first + 1 {
            CrashPoint.relay.reached()
        }
        if PeerFaults.current == .stall, next > request.first { return trickle() }
        while !channel.isClosed, next <= request.last, channel.pendingBytes < 4 << 20, store.holds(next) {
            let n = store.read(next, into: &buffer)
            guard n == Int(store.offer.range(ofPiece: next).count) else {
                channel.writeStderr("batchd-recv: cannot read piece \(next)\n")
                return finish(1)
            }
            if PeerFaults.current == .corrupt { buffer[n / 2] ^= 0xFF }
            buffer.withUnsafeBytes { channel.write(UnsafeRawBufferPointer(rebasing: $0[0 ..< n])) }
            served += Int64(n)
            next += 1
            lastProgress = Date()
            if PeerFaults.current == .stall { return trickle() }
        }
        if next > request.last { finish(0) }
    }

    private var trickled = 0
    private var trickling = false

    /// The `stall` fault: one true byte of the next piece every 5 s.
    private func trickle() {
        guard !trickling, !channel.isClosed else { return }
        trickling = true
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) { [weak self, channel] in
            guard let handler = self else { return }
            channel.execute { handler.trickleByte() }
        }
    }

    private func trickleByte() {
        trickling = false
        guard !channel.isClosed, next <= request.last else { return }
        if store.holds(next), store.read(next, into: &buffer) > trickled {
            buffer.withUnsafeBytes { channel.write(UnsafeRawBufferPointer(rebasing: $0[trickled ..< trickled + 1])) }
            trickled += 1
            served += 1
            lastProgress = Date()
        }
        trickle()
    }

    private func scheduleCheck() {
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) { [weak self, channel] in
            guard let handler = self else { return }
            channel.execute { handler.checkPatience() }
        }
    }

    private func checkPatience() {
        guard !channel.isClosed, next <= request.last else { return }
        if Date().timeIntervalSince(lastProgress) > PeerFetchHandler.patience {
            channel.writeStderr("batchd-recv: piece \(next) of batch \(request.batch) is not here yet\n")
            return finish(2)
        }
        scheduleCheck()
    }

    private func finish(_ status: Int32) {
        stopWatching()
        channel.close(exitStatus: status)
    }

    private func stopWatching() {
        if let token { store.unwatch(token) }
        token = nil
    }
}
