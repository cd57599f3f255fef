/// Subscriber to server: how one transfer from a source went, so the
/// planner learns each link's throughput and round-trip time.
///
/// The link measured runs from `source` to the target that sends the
/// report.
public struct LinkSampleReport: Codable, Sendable, Equatable {
    /// The batch whose pieces were fetched.
    public var batch: Int64
    /// `server`, or the user name of the peer the pieces came from.
    public var source: String
    /// Verified bytes received in the sample.
    public var bytes: Int64
    /// Seconds the bytes took to arrive.
    public var seconds: Double
    /// The round-trip time to the source in milliseconds, if measured.
    public var rttMs: Double?

    /// Creates a report.
    public init(batch: Int64, source: String, bytes: Int64, seconds: Double, rttMs: Double?) {
        self.batch = batch
        self.source = source
        self.bytes = bytes
        self.seconds = seconds
        self.rttMs = rttMs
    }

    /// Bytes per second over the sample, or `nil` when it took no time.
    public var throughputBps: Double? {
        seconds > 0 ? Double(bytes) / seconds : nil
    }

    /// The field names on the wire and in stored JSON.
    private enum CodingKeys: String, CodingKey {
        case batch, source, bytes, seconds
        case rttMs = "rtt_ms"
    }
}
