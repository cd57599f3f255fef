/// Decides when a target stops fetching a batch from a peer that is too
/// slow to keep: one that stalls, trickles a byte a minute, or runs far
/// below what the batch's other sources gave this target.
///
/// A transfer is judged on the bytes that arrived in its last ``window``
/// seconds, once ``grace`` seconds have passed since it began (an upstream
/// may first wait for pieces it is still receiving itself). Its floor is
/// the larger of ``minimumBps`` and ``fraction`` of the best rate any
/// *other* source of the batch reached for this target: a link a tenth as
/// fast as the others is still used, a trickle is not. The server is never
/// judged by it; it is every target's last source.
///
/// Pure: the caller passes the clock, so tests need no sleeps.
public struct ThroughputFloor: Sendable {
    /// No peer is kept below this, whatever the other sources did: 64 KiB/s.
    public static let minimumBps: Double = 64 * 1024
    /// The share of the best other source's rate a peer must keep.
    public static let fraction = 0.1
    /// Seconds a transfer runs before it is first judged.
    public static let grace = 4.0
    /// The seconds of recent arrivals a transfer is judged on: long enough
    /// for an honest upstream whose own upstream died to find another
    /// source and serve again (its retries take about 5 s), which a 4 s
    /// window did not allow: its downstreams dropped it and fell back to
    /// the server.
    public static let window = 8.0

    /// Why a source was dropped: its rate and the floor it fell under.
    public struct Verdict: Sendable, Equatable {
        public var rateBps: Double
        public var floorBps: Double

        public init(rateBps: Double, floorBps: Double) {
            self.rateBps = rateBps
            self.floorBps = floorBps
        }

        /// The reason as a target reports it, e.g. "too slow: 12 B/s over
        /// the last 8 s, under the floor of 65.5 KB/s".
        public var sentence: String {
            "too slow: \(ThroughputFloor.rate(rateBps)) over the last \(Int(ThroughputFloor.window)) s, "
                + "under the floor of \(ThroughputFloor.rate(floorBps))"
        }
    }

    /// The best rate each source reached for this target in this batch.
    public private(set) var best: [String: Double] = [:]
    private var source: String?
    private var started = 0.0
    /// (time, bytes received by then) of the current transfer, oldest
    /// first, at least a tenth of a window apart.
    private var marks: [(at: Double, bytes: Int64)] = []
    private var bytes: Int64 = 0

    public init() {}

    /// A transfer from `source` begins at `now`.
    public mutating func begin(source: String, at now: Double) {
        self.source = source
        started = now
        bytes = 0
        marks = [(now, 0)]
    }

    /// `count` more bytes of the current transfer arrived at `now`.
    public mutating func received(_ count: Int, at now: Double) {
        bytes += Int64(count)
        mark(now)
    }

    /// The floor the current transfer's source must keep.
    public func floorBps() -> Double {
        let others = best.filter { $0.key != source }.values.max() ?? 0
        return max(ThroughputFloor.minimumBps, ThroughputFloor.fraction * others)
    }

    /// Whether the current transfer is too slow at `now`: nil while it is
    /// in its grace time or at or above its floor.
    public mutating func verdict(at now: Double) -> Verdict? {
        mark(now)
        guard source != nil, now - started >= ThroughputFloor.grace else { return nil }
        let rate = recentRate(at: now)
        let floor = floorBps()
        return rate < floor ? Verdict(rateBps: rate, floorBps: floor) : nil
    }

    /// The current transfer's rate over its last window (or since it
    /// began, when that is shorter).
    public func recentRate(at now: Double) -> Double {
        let from = now - ThroughputFloor.window
        // The newest mark at or before the window's start, else the first.
        let base = marks.last { $0.at <= from } ?? marks.first ?? (started, 0)
        let span = now - base.at
        return span > 0 ? Double(bytes - base.bytes) / span : 0
    }

    private mutating func mark(_ now: Double) {
        if let last = marks.last, now - last.at < ThroughputFloor.window / 10 { return }
        marks.append((now, bytes))
        // Keep one mark older than the window, for its start.
        while marks.count > 2, marks[1].at <= now - ThroughputFloor.window { marks.removeFirst() }
        if let source, now - started >= ThroughputFloor.window {
            best[source] = max(best[source] ?? 0, recentRate(at: now))
        }
    }

    static func rate(_ bps: Double) -> String {
        ByteCountText.format(Int64(bps.rounded())) + "/s"
    }
}
