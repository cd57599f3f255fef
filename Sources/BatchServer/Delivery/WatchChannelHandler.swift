import BatchCore
import BatchStore
import Dispatch
import Foundation
import Logging
import SSHKit

/// `watch ID [--json]`: one line per delivery event of a batch until every
/// target has resolved; exit 0 when each target received the archive or
/// declined, 1 otherwise. Reads the catalogue's event history, so it shows
/// what happened before it started too. Confined to the loop thread; the
/// timer only hops there.
final class WatchChannelHandler: SSHChannelHandler, @unchecked Sendable {
    private let batch: Int64
    private let json: Bool
    private let catalogue: Catalogue
    private let channel: SSHChannel
    private var lastEvent: Int64 = 0
    private var timer: DispatchSourceTimer?
    private var finished = false
    private var printedState = false

    init(batch: Int64, json: Bool, channel: SSHChannel, catalogue: Catalogue) {
        self.batch = batch
        self.json = json
        self.catalogue = catalogue
        self.channel = channel
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now(), repeating: .milliseconds(100))
        timer.setEventHandler { [self] in
            channel.execute { [self] in poll() }
        }
        self.timer = timer
        timer.resume()
    }

    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer) {}
    func channelReceivedEOF(_ channel: SSHChannel) {}

    func channelClosed(_ channel: SSHChannel) {
        stop()
    }

    private func stop() {
        finished = true
        timer?.cancel()
        timer = nil
    }

    private func poll() {
        guard !finished, !channel.isClosed else { return stop() }
        do {
            guard let detail = try catalogue.batch(id: batch) else { return end(1, "batch \(batch) does not exist") }
            for event in try catalogue.offerEvents(batch: batch, after: lastEvent) {
                lastEvent = event.id
                emit(at: event.at, target: event.target, event: event.event.rawValue, detail: event.detail)
            }
            switch detail.state {
            case .open:
                if !printedState {
                    printedState = true
                    emit(at: detail.createdAt, target: nil, event: "uploading", detail: nil)
                }
                return
            case .failed, .purged:
                emit(at: Int64(Date().timeIntervalSince1970), target: nil, event: detail.state.rawValue, detail: detail.failure)
                return end(1, nil)
            case .sealed:
                break
            }
            if detail.targets.isEmpty {
                return end(0, "batch \(batch) has no targets")
            }
            guard detail.targets.allSatisfy({ $0.state.isResolved }) else { return }
            let ok = detail.targets.allSatisfy { $0.state == .delivered || $0.state == .declined }
            end(ok ? 0 : 1, nil)
        } catch {
            end(1, "the server could not read its catalogue: \(error)")
        }
    }

    private func emit(at time: Int64, target: String?, event: String, detail: String?) {
        if json {
            var object: [String: Any] = ["at": time, "batch": batch, "event": event]
            object["target"] = target ?? NSNull()
            object["detail"] = detail ?? NSNull()
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                channel.write(String(decoding: data, as: UTF8.self) + "\n")
            }
        } else {
            let stamp = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(time)))
            var line = "\(stamp) batch \(batch)"
            if let target { line += " \(TerminalText.escaped(target))" }
            line += " \(event)"
            // A decline reason is whatever the target typed: shown escaped.
            if let detail = detail.map(TerminalText.escaped), !detail.isEmpty {
                line += event == "declined" || event == "failed" ? ": \(detail)" : " \(detail)"
            }
            channel.write(line + "\n")
        }
    }

    private func end(_ status: Int32, _ message: String?) {
        guard !finished else { return }
        stop()
        if let message { channel.writeStderr("watch: \(message)\n") }
        channel.close(exitStatus: status)
    }
}
