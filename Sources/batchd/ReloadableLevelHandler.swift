import BatchServer
import Foundation
import Locking
import Logging

/// The level every batchd logger follows; a reload changes it for loggers
/// made before and after.
final class SharedLogLevel: Sendable {
    private let level: Locked<Logger.Level>

    init(_ level: Logger.Level) {
        self.level = Locked(level)
    }

    var value: Logger.Level {
        get { level.withLock { $0 } }
        set { level.withLock { $0 = newValue } }
    }
}

/// A standard-error log handler whose level is the shared one, unless a
/// logger sets its own; lines are text or JSON (`LogFormat`).
struct ReloadableLevelHandler: LogHandler {
    private var inner: StreamLogHandler
    private let shared: SharedLogLevel
    private var override: Logger.Level?
    private let label: String
    private let format: LogFormat
    /// JSON lines from all threads go out whole, one write each.
    private static let output = NSLock()

    init(label: String, level: SharedLogLevel, format: LogFormat) {
        inner = StreamLogHandler.standardError(label: label)
        inner.logLevel = .trace
        shared = level
        self.label = label
        self.format = format
    }

    var logLevel: Logger.Level {
        get { override ?? shared.value }
        set { override = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        guard format == .json else { return inner.log(event: event) }
        var merged = inner.metadataProvider?.get() ?? [:]
        merged.merge(inner.metadata) { $1 }
        merged.merge(event.metadata ?? [:]) { $1 }
        let line = JSONLogLine.format(event, label: label, metadata: merged)
        ReloadableLevelHandler.output.withLock {
            line.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }
}
