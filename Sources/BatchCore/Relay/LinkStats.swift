/// What is known of one directed link, from the samples targets reported.
///
/// A `nil` measure means the link has not been measured that way yet; the
/// planner then treats it optimistically so that it gets tried.
public struct LinkStats: Sendable, Equatable {
    /// Bytes per second the link has carried, or `nil` if unmeasured.
    public var throughputBps: Double?
    /// Round-trip time in milliseconds, or `nil` if unmeasured.
    public var rttMs: Double?
    /// How many samples the figures come from.
    public var samples: Int

    /// Creates the figures for a link.
    public init(throughputBps: Double? = nil, rttMs: Double? = nil, samples: Int = 0) {
        self.throughputBps = throughputBps
        self.rttMs = rttMs
        self.samples = samples
    }
}
