import Foundation
import Logging

/// Formats one log event as a line of JSON: `time`, `level`, `label`,
/// `source`, `message`, then every metadata key at the top level (a key
/// that clashes with those five is kept as `meta.KEY`).
enum JSONLogLine {
    private static let reserved: Set<String> = ["time", "level", "label", "source", "message"]

    static func format(_ event: LogEvent, label: String, metadata: Logger.Metadata) -> Data {
        var object: [String: Any] = [
            "time": timestamp(),
            "level": event.level.rawValue,
            "label": label,
            "source": event.source,
            "message": event.message.description,
        ]
        for (key, value) in metadata {
            object[reserved.contains(key) ? "meta.\(key)" : key] = json(value)
        }
        var line = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data(#"{"level":"error","message":"unloggable event"}"#.utf8)
        line.append(0x0A)
        return line
    }

    private static func json(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible): return convertible.description
        case .array(let values): return values.map(json)
        case .dictionary(let values): return values.mapValues(json)
        }
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, Int(now.tv_nsec / 1_000_000))
    }
}
