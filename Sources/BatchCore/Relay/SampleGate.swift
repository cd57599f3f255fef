/// Keeps a target's own link reports from making it look faster than its
/// deliveries confirm.
///
/// The planner ranks upstreams by the `sample` reports their downstreams
/// send, and credits every unmeasured link with the best measured one, so
/// one inflated report would pull the whole fleet's plans towards its
/// sender. Reports are therefore held, per offer, from the target's
/// `accept` until its `delivered`, and only then let through, each capped
/// at the rate the server itself saw: the archive's size over the time
/// from the accept to the delivery, both on the server's clock. A target
/// can claim no link into it faster than it took the whole batch in.
///
/// Reports for an offer the target has not accepted, from the target to
/// itself, or claiming more bytes than the archive holds are dropped; so
/// are the held reports of an offer declined, failed or withdrawn. A
/// round-trip time is passed on as the target gave it: the server sees
/// nothing to check it against.
///
/// Pure and bounded: at most ``maxSamplesPerOffer`` reports per offer and
/// ``maxOpenOffers`` offers in all (the oldest accept is forgotten first).
public struct SampleGate: Sendable {
    /// Reports held per offer; a delivery makes one per run of pieces per
    /// source, so more than this is noise or an attack.
    public static let maxSamplesPerOffer = 64
    /// Offers between accept and delivery held at once.
    public static let maxOpenOffers = 4096

    /// A report let through, as the catalogue records it.
    public struct Confirmed: Sendable, Equatable {
        public var from: String
        public var to: String
        public var throughputBps: Double
        public var rttMs: Double?

        public init(from: String, to: String, throughputBps: Double, rttMs: Double?) {
            self.from = from
            self.to = to
            self.throughputBps = throughputBps
            self.rttMs = rttMs
        }
    }

    private struct Key: Hashable {
        var batch: Int64
        var target: String
    }

    private struct Held {
        var acceptedAt: Double
        var order: UInt64
        var samples: [LinkSampleReport] = []
    }

    private var held: [Key: Held] = [:]
    private var accepts: UInt64 = 0

    public init() {}

    /// Offers held now.
    public var count: Int { held.count }

    /// `target` accepted `batch` at `now`. A repeated accept keeps the
    /// first time.
    public mutating func accepted(batch: Int64, target: String, at now: Double) {
        let key = Key(batch: batch, target: target)
        guard held[key] == nil else { return }
        if held.count >= SampleGate.maxOpenOffers, let oldest = held.min(by: { $0.value.order < $1.value.order })?.key {
            held.removeValue(forKey: oldest)
        }
        accepts += 1
        held[key] = Held(acceptedAt: now, order: accepts)
    }

    /// Holds a report from `target`; false when it is dropped.
    @discardableResult
    public mutating func hold(_ sample: LinkSampleReport, from target: String) -> Bool {
        let key = Key(batch: sample.batch, target: target)
        guard var entry = held[key], sample.source != target, sample.seconds > 0,
              entry.samples.count < SampleGate.maxSamplesPerOffer else { return false }
        entry.samples.append(sample)
        held[key] = entry
        return true
    }

    /// `target` delivered `batch`, an archive of `size` bytes, at `now`:
    /// its held reports, each capped at `size` over the time since its
    /// accept. Nothing is held for the offer afterwards.
    public mutating func delivered(batch: Int64, target: String, size: Int64, at now: Double) -> [Confirmed] {
        guard let entry = held.removeValue(forKey: Key(batch: batch, target: target)) else { return [] }
        let seen = Double(max(size, 0)) / max(now - entry.acceptedAt, 0.001)
        return entry.samples.compactMap { sample in
            guard sample.bytes <= size, let claimed = sample.throughputBps, claimed.isFinite else { return nil }
            return Confirmed(from: sample.source, to: target, throughputBps: min(claimed, seen), rttMs: sample.rttMs)
        }
    }

    /// The offer ended without a delivery: its reports are dropped.
    public mutating func ended(batch: Int64, target: String) {
        held.removeValue(forKey: Key(batch: batch, target: target))
    }
}
