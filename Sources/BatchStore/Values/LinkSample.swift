/// One measurement of a transfer between two nodes (`server` or a target's name).
public struct LinkSample: Sendable, Equatable, Codable {
    /// The sending node.
    public var from: String
    /// The receiving node.
    public var to: String
    /// The measured throughput in bytes per second.
    public var throughputBps: Double
    /// The measured round-trip time in milliseconds.
    public var rttMs: Double
    /// When it was measured, in Unix seconds.
    public var at: Int64

    /// Creates a sample.
    public init(from: String, to: String, throughputBps: Double, rttMs: Double, at: Int64) {
        self.from = from
        self.to = to
        self.throughputBps = throughputBps
        self.rttMs = rttMs
        self.at = at
    }

    enum CodingKeys: String, CodingKey {
        case from, to, at
        case throughputBps = "throughput_bps"
        case rttMs = "rtt_ms"
    }
}
