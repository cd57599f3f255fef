import BatchCore

/// What batchd.conf(5) sets per topic: how long sealed batches are kept,
/// how large a batch and a source's day of drops may be, and the command
/// that vets a batch before it is sealed. The top level of the file sets
/// the defaults; `Match Topic` blocks change them for the topics they name.
public struct TopicPolicy: Sendable, Equatable {
    /// Seconds a sealed batch is kept before it is purged; nil keeps it.
    public var retention: Int?
    /// The most bytes of files one batch may hold; nil for no limit. The
    /// default bounds what one drop can make the server hold and compress.
    public var maxBatchSize: Int64? = TopicPolicy.defaultMaxBatchSize
    /// The most bytes one source may drop to the topic in any 24 hours;
    /// nil for no limit.
    public var sourceQuota: Int64? = TopicPolicy.defaultSourceQuota

    /// 64 GiB a batch and 256 GiB a source a day unless the config says
    /// otherwise: a size announced or set (a far WRITE, SETSTAT) counts in
    /// full against them before anything is written.
    public static let defaultMaxBatchSize: Int64 = 64 << 30
    public static let defaultSourceQuota: Int64 = 256 << 30
    /// A shell command run on the staged files before sealing; nil for none.
    public var preSealHook: String?
    /// Seconds the hook may run before it is killed and the batch rejected.
    public var preSealTimeout = 60
    /// Milliseconds an open batch waits, after the last channel that wrote
    /// to it closed, for another before it seals.
    public var batchQuietTime = 2000
    /// Whether a batch seals by itself after the quiet time, or only by `seal`.
    public var batchSeal = BatchSealMode.auto
    /// Seconds an open batch waits instead of the quiet time when a
    /// channel went mid-upload, for the client to reconnect and resume.
    public var batchResumeTime = 60

    public init() {}

    /// The keywords a `Match Topic` block may hold, spelled as the page does.
    public static let keywords: [String] = [
        "Retention", "MaxBatchSize", "SourceQuota", "PreSealHook", "PreSealTimeout", "BatchQuietTime", "BatchSeal",
        "BatchResumeTime",
    ]

    /// One setting of a policy, parsed from a config line.
    public enum Change: Sendable, Equatable {
        case retention(Int?)
        case maxBatchSize(Int64?)
        case sourceQuota(Int64?)
        case preSealHook(String?)
        case preSealTimeout(Int)
        case batchQuietTime(Int)
        case batchSeal(BatchSealMode)
        case batchResumeTime(Int)

        /// The setting as `batchd -T` prints it: lowercase keyword, bytes
        /// and seconds as plain numbers.
        public var effectiveLine: String {
            switch self {
            case .retention(let seconds): return "retention \(seconds.map(String.init) ?? "none")"
            case .maxBatchSize(let bytes): return "maxbatchsize \(bytes.map(String.init) ?? "none")"
            case .sourceQuota(let bytes): return "sourcequota \(bytes.map(String.init) ?? "none")"
            case .preSealHook(let command): return "presealhook \(command ?? "none")"
            case .preSealTimeout(let seconds): return "presealtimeout \(seconds)"
            case .batchQuietTime(let milliseconds): return "batchquiettime \(milliseconds)ms"
            case .batchSeal(let mode): return "batchseal \(mode.rawValue)"
            case .batchResumeTime(let seconds): return "batchresumetime \(seconds)"
            }
        }
    }

    /// The change `line` asks for, or nil when its keyword is not a topic
    /// keyword. Throws for a bad value, naming the line.
    public static func change(for line: ConfigLine) throws(ConfigError) -> Change? {
        let none = line.value.lowercased() == "none"
        switch line.key {
        case "retention":
            if none { return .retention(nil) }
            let seconds = try line.duration()
            guard seconds > 0 else { throw line.error(.invalidValue(line.value, expected: "none or a duration above 0, e.g. 7d")) }
            return .retention(seconds)
        case "maxbatchsize":
            return .maxBatchSize(none ? nil : try positiveSize(line))
        case "sourcequota":
            return .sourceQuota(none ? nil : try positiveSize(line))
        case "presealhook":
            return .preSealHook(none ? nil : line.value)
        case "presealtimeout":
            let seconds = try line.duration()
            guard (1...86_400).contains(seconds) else {
                throw line.error(.invalidValue(line.value, expected: "a duration from 1s to 1d"))
            }
            return .preSealTimeout(seconds)
        case "batchquiettime":
            let milliseconds = try line.milliseconds()
            guard milliseconds <= 3_600_000 else {
                throw line.error(.invalidValue(line.value, expected: "a duration from 0 to 1h, e.g. 2s or 500ms"))
            }
            return .batchQuietTime(milliseconds)
        case "batchseal":
            guard let mode = BatchSealMode(rawValue: line.value.lowercased()) else {
                throw line.error(.invalidValue(line.value, expected: "auto or explicit"))
            }
            return .batchSeal(mode)
        case "batchresumetime":
            let seconds = try line.duration()
            guard seconds <= 86_400 else { throw line.error(.invalidValue(line.value, expected: "a duration from 0 to 1d")) }
            return .batchResumeTime(seconds)
        default:
            return nil
        }
    }

    /// Applies one change.
    public mutating func apply(_ change: Change) {
        switch change {
        case .retention(let value): retention = value
        case .maxBatchSize(let value): maxBatchSize = value
        case .sourceQuota(let value): sourceQuota = value
        case .preSealHook(let value): preSealHook = value
        case .preSealTimeout(let value): preSealTimeout = value
        case .batchQuietTime(let value): batchQuietTime = value
        case .batchSeal(let value): batchSeal = value
        case .batchResumeTime(let value): batchResumeTime = value
        }
    }

    /// The policy as `keyword value` lines, as `batchd -T` prints them.
    public var effectiveLines: [String] {
        let changes: [Change] = [
            .retention(retention), .maxBatchSize(maxBatchSize), .sourceQuota(sourceQuota), .preSealHook(preSealHook),
            .preSealTimeout(preSealTimeout), .batchQuietTime(batchQuietTime), .batchSeal(batchSeal),
            .batchResumeTime(batchResumeTime),
        ]
        return changes.map(\.effectiveLine)
    }

    private static func positiveSize(_ line: ConfigLine) throws(ConfigError) -> Int64 {
        let size = try line.byteSize()
        guard size > 0 else { throw line.error(.invalidValue(line.value, expected: "none or a size above 0, e.g. 10G")) }
        return Int64(size)
    }
}
