import Foundation

/// One line of progress for a terminal, fitted to its width:
///
///     verifying batch 3 (2/5) [=======>        ]  47%  1.2 GB / 2.6 GB  85.3 MB/s  ETA 0:16
///
/// Pure: the caller gives the figures and the time elapsed, and writes the
/// line where it wants. The bar takes whatever width the text leaves; on a
/// terminal too narrow for a bar of `minimumBar` cells the bar is left out,
/// and the label is shortened last.
public struct ProgressBar: Sendable, Equatable {
    /// What is in progress, shown first.
    public var label: String
    /// Bytes to do in all; 0 when unknown or empty.
    public var total: Int64
    /// The terminal's width in columns.
    public var columns: Int

    /// The narrowest bar worth drawing, brackets excluded.
    static let minimumBar = 10
    /// Below this many seconds the rate is too noisy to predict from.
    static let settlingTime = 0.5

    /// Creates a bar.
    public init(label: String, total: Int64, columns: Int) {
        self.label = label
        self.total = total
        self.columns = columns
    }

    /// The line for `done` bytes after `elapsed` seconds, no longer than
    /// `columns - 1` characters (the last column is left free, so a
    /// terminal never wraps the line).
    public func render(done: Int64, elapsed: Double) -> String {
        let done = max(0, total > 0 ? min(done, total) : done)
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var figures = String(format: "%3d%%", Int((fraction * 100).rounded(.down)))
        figures += "  \(ByteCountText.format(done)) / \(ByteCountText.format(total))"
        figures += "  \(ByteCountText.format(Int64(rate)))/s"
        figures += "  ETA " + ProgressBar.eta(remaining: total - done, rate: rate, elapsed: elapsed)
        let room = max(0, columns - 1)
        let barRoom = room - label.count - figures.count - 5  // the bar's brackets, a space before it and two after
        if barRoom >= ProgressBar.minimumBar {
            return label + " " + ProgressBar.bar(fraction: fraction, cells: barRoom) + "  " + figures
        }
        let line = label + "  " + figures
        if line.count <= room { return line }
        // Too narrow even without a bar: the figures matter more than the label.
        return String(figures.prefix(room))
    }

    /// `[=====>    ]` with `cells` cells between the brackets.
    static func bar(fraction: Double, cells: Int) -> String {
        let filled = Int((fraction * Double(cells)).rounded(.down))
        if filled >= cells { return "[" + String(repeating: "=", count: cells) + "]" }
        let head = filled > 0 ? ">" : ""
        let body = String(repeating: "=", count: max(0, filled - 1)) + head
        return "[" + body + String(repeating: " ", count: cells - body.count) + "]"
    }

    /// The time left as `M:SS` or `H:MM:SS`; `--:--` until the rate can
    /// say (nothing done yet, or too early to tell).
    public static func eta(remaining: Int64, rate: Double, elapsed: Double) -> String {
        if remaining <= 0 { return "0:00" }
        guard rate > 0, elapsed >= settlingTime else { return "--:--" }
        let seconds = Double(remaining) / rate
        guard seconds < 100 * 3600 else { return ">99h" }
        return duration(Int(seconds.rounded(.up)))
    }

    /// Whole seconds as `M:SS`, or `H:MM:SS` from an hour up.
    public static func duration(_ seconds: Int) -> String {
        let hours = seconds / 3600
        let minutes = (seconds % 3600) / 60
        let rest = seconds % 60
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }
}
