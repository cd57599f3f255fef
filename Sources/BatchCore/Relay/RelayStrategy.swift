/// What the relay planner ranks the links between targets by.
public enum RelayStrategy: String, Sendable, CaseIterable, Codable {
    /// The highest measured throughput wins; the default, since a batch is
    /// mostly bulk bytes.
    case throughput
    /// The lowest measured round-trip time wins: the shortest transfer
    /// path, for small batches and links where distance dominates.
    case latency
}
