/// How batchd writes its log lines on standard error.
public enum LogFormat: String, Sendable, Equatable {
    /// swift-log's text lines: time, level, label, metadata, message.
    case text
    /// One JSON object per line, for log shippers: `time`, `level`,
    /// `label`, `source`, `message`, and every metadata key at the top.
    case json
}
