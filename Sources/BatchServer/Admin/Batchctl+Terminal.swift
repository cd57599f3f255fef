import Foundation

extension Batchctl {
    /// The width of the terminal standard error is, or nil when standard
    /// error is not a terminal (a pipe, a file, a log): then no progress
    /// is drawn.
    public static func standardErrorColumns() -> Int? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        return 80
    }
}
