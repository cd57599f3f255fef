import BatchCore
import Foundation

/// A progress bar redrawn in place on a terminal, for `batchctl` commands
/// that take time. It redraws at most every `interval` seconds, and
/// `clear` takes it off the line so other output can be written; the next
/// update draws it again. Used by one command on one thread.
public final class ProgressDisplay {
    /// Seconds between redraws: about ten a second.
    static let interval = 0.1

    private let write: (String) -> Void
    private let columns: Int
    private let clock: () -> Double
    private var bar: ProgressBar?
    private var start = 0.0
    private var lastDraw: Double?
    private var shown = false

    /// A display `columns` wide that writes through `write` (the terminal's
    /// standard error); `clock` gives seconds from any fixed point.
    public init(columns: Int, write: @escaping (String) -> Void, clock: @escaping () -> Double = ProgressDisplay.monotonicSeconds) {
        self.columns = columns
        self.write = write
        self.clock = clock
    }

    /// Starts counting `total` bytes from now.
    public func begin(label: String, total: Int64) {
        bar = ProgressBar(label: label, total: total, columns: columns)
        start = clock()
        lastDraw = nil
    }

    /// Changes what the bar says is in progress, keeping its count.
    public func relabel(_ label: String) {
        bar?.label = label
    }

    /// Shows `done` bytes, unless the last redraw was too recent.
    public func update(done: Int64) {
        guard let bar else { return }
        let now = clock()
        if let lastDraw, now - lastDraw < ProgressDisplay.interval { return }
        lastDraw = now
        write("\r" + bar.render(done: done, elapsed: now - start) + "\u{1B}[K")
        shown = true
    }

    /// Erases the bar from its line, if it is shown.
    public func clear() {
        guard shown else { return }
        write("\r\u{1B}[K")
        shown = false
        lastDraw = nil
    }

    /// Erases the bar for good.
    public func finish() {
        clear()
        bar = nil
    }

    /// Seconds of a clock that never goes back.
    public static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
