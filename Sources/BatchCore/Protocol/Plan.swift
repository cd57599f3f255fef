/// Server to subscriber: where to fetch one accepted batch from, and who may
/// fetch it from this target.
///
/// The server vouches for every peer named here: a source carries the
/// address and host key the subscriber pins when it connects, and a grant
/// carries the user keys its peer listener lets in for this batch. Nothing
/// about a peer is learnt from the peer itself. A later plan for the same
/// batch replaces the earlier one, when a source failed or was too slow.
public struct Plan: Codable, Sendable, Equatable {
    /// The most sources or grants a plan may list, and the most keys per
    /// grant; far more than a useful plan needs, and a bound on the work a
    /// decoder does.
    public static let maxEntries = 1024

    /// The accepted batch the plan is for.
    public var batch: Int64
    /// Where this target fetches pieces from, best first; a source that
    /// fails or is slow gives way to the next. `server` is normally last.
    public var sources: [PlanSource]
    /// The peer targets allowed to fetch this batch from this target.
    public var grants: [PeerGrant]

    /// Creates a plan. Nothing is checked here; a decoded plan has been
    /// validated by ``SubscriptionMessage/decode(payload:)``.
    public init(batch: Int64, sources: [PlanSource], grants: [PeerGrant]) {
        self.batch = batch
        self.sources = sources
        self.grants = grants
    }
}
