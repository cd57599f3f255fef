import BatchCore
import Foundation
import Locking

/// The one-line progress display on a terminal: bytes, rate, source.
/// Shared by delivery threads; the mutex guards the rate bookkeeping.
final class ProgressLine: Sendable {
    private let label: String
    private let state = Locked<(start: Date, last: Date)>((Date(), .distantPast))

    /// A progress line for `label`, or nil when stderr is not a terminal.
    static func onTerminal(label: String) -> ProgressLine? {
        isatty(STDERR_FILENO) == 1 ? ProgressLine(label: label) : nil
    }

    private init(label: String) {
        self.label = label
    }

    func update(bytes: Int64, total: Int64, source: String) {
        let line: String? = state.withLock { state in
            let now = Date()
            guard now.timeIntervalSince(state.last) >= 0.2 || bytes == total else { return nil }
            state.last = now
            let seconds = max(now.timeIntervalSince(state.start), 0.001)
            let rate = Double(bytes) / seconds
            return "\r\(label)  \(ByteCountText.format(bytes)) / \(ByteCountText.format(total))  \(ByteCountText.format(Int64(rate)))/s  from \(source)\u{1B}[K"
        }
        if let line { FileHandle.standardError.write(Data(line.utf8)) }
    }

    func finish() {
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
