import BatchCore
import BatchStore
import Dispatch
import Foundation
import Locking
import Logging
import SSHKit

/// `watch ID [--json]`: one line per delivery event of a batch until every
/// target has resolved; exit 0 when each target received the archive or
/// declined, 1 otherwise. Reads the catalogue's event history, so it shows
/// what happened before it started too. The reads run on the watch's own
/// queue, every 100 ms; only the lines it prints hop to the loop thread.
final class WatchChannelHandler: SSHChannelHandler, @unchecked Sendable {
    private let batch: Int64
    /// The user watching, when only a batch of theirs may be watched
    /// (nil for an admin).
    private let owner: String?
    private let json: Bool
    private let catalogue: Catalogue
    private let channel: SSHChannel
    /// Confined to `queue`: what was printed so far.
    private var lastEvent: Int64 = 0
    private var printedState = false
    private var checkedOwner = false
    private var finished = false
    private let queue = DispatchQueue(label: "batchd.watch", target: .global(qos: .utility))
    private let timer: DispatchSourceTimer

    init(batch: Int64, owner: String?, json: Bool, channel: SSHChannel, catalogue: Catalogue) {
        self.batch = batch
        self.owner = owner
        self.json = json
        self.catalogue = catalogue
        self.channel = channel
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now(), repeating: .milliseconds(100))
        timer.setEventHandler { [self] in poll() }
        timer.resume()
    }

    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer) {}
    func channelReceivedEOF(_ channel: SSHChannel) {}

    func channelClosed(_ channel: SSHChannel) {
        timer.cancel()
    }

    /// On `queue`: reads what is new and hands the lines to the loop.
    private func poll() {
        guard !finished else { return }
        var lines: [String] = []
        let ending = read(into: &lines)
        if ending != nil {
            finished = true
            timer.cancel()
        }
        guard !lines.isEmpty || ending != nil else { return }
        channel.execute { [channel, lines] in
            guard !channel.isClosed else { return }
            for line in lines { channel.write(line) }
            guard let (status, message) = ending else { return }
            if let message { channel.writeStderr("watch: \(TerminalText.escaped(message))\n") }
            channel.close(exitStatus: status)
        }
    }

    /// Appends the new lines; returns the exit status and message once the
    /// watch is over.
    private func read(into lines: inout [String]) -> (Int32, String?)? {
        do {
            guard let detail = try catalogue.batch(id: batch) else { return (1, "batch \(batch) does not exist") }
            if !checkedOwner {
                checkedOwner = true
                if let owner, detail.source != owner { return (1, DeliveryError.notYours(batch: batch).description) }
            }
            for event in try catalogue.offerEvents(batch: batch, after: lastEvent) {
                lastEvent = event.id
                lines.append(line(at: event.at, target: event.target, event: event.event.rawValue, detail: event.detail))
            }
            switch detail.state {
            case .open:
                if !printedState {
                    printedState = true
                    lines.append(line(at: detail.createdAt, target: nil, event: "uploading", detail: nil))
                }
                return nil
            case .failed, .purged:
                lines.append(line(at: Int64(Date().timeIntervalSince1970), target: nil, event: detail.state.rawValue,
                                  detail: detail.failure))
                return (1, nil)
            case .sealed:
                break
            }
            if detail.targets.isEmpty {
                return (0, "batch \(batch) has no targets")
            }
            guard detail.targets.allSatisfy({ $0.state.isResolved }) else { return nil }
            let ok = detail.targets.allSatisfy { $0.state == .delivered || $0.state == .declined }
            return (ok ? 0 : 1, nil)
        } catch {
            return (1, DeliveryError.catalogue("\(error)").description)
        }
    }

    private func line(at time: Int64, target: String?, event: String, detail: String?) -> String {
        if json {
            var object: [String: Any] = ["at": time, "batch": batch, "event": event]
            object["target"] = target ?? NSNull()
            object["detail"] = detail ?? NSNull()
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
            return String(decoding: data, as: UTF8.self) + "\n"
        }
        let stamp = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(time)))
        var line = "\(stamp) batch \(batch)"
        if let target { line += " \(TerminalText.escaped(target))" }
        line += " \(event)"
        // A decline reason is whatever the target typed: shown escaped.
        if let detail = detail.map(TerminalText.escaped), !detail.isEmpty {
            line += event == "declined" || event == "failed" || event == "withdrawn" ? ": \(detail)" : " \(detail)"
        }
        return line + "\n"
    }
}
