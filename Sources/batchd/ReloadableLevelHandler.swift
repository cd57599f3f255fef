import Logging
import Synchronization

/// The level every batchd logger follows; a reload changes it for loggers
/// made before and after.
final class SharedLogLevel: Sendable {
    private let level: Mutex<Logger.Level>

    init(_ level: Logger.Level) {
        self.level = Mutex(level)
    }

    var value: Logger.Level {
        get { level.withLock { $0 } }
        set { level.withLock { $0 = newValue } }
    }
}

/// A standard-error log handler whose level is the shared one, unless a
/// logger sets its own.
struct ReloadableLevelHandler: LogHandler {
    private var inner: StreamLogHandler
    private let shared: SharedLogLevel
    private var override: Logger.Level?

    init(label: String, level: SharedLogLevel) {
        inner = StreamLogHandler.standardError(label: label)
        inner.logLevel = .trace
        shared = level
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
        inner.log(event: event)
    }
}
