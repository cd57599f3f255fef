import BatchCore

/// One step in a batch's delivery history, as `watch` prints it.
public struct OfferEvent: Sendable, Equatable, Codable {
    /// Increasing id; pass the last one seen to read only newer events.
    public var id: Int64
    /// The batch.
    public var batch: Int64
    /// The target the event concerns.
    public var target: String
    /// What happened: an offer state name.
    public var event: OfferState
    /// The decline or failure reason, or the node a delivery came from.
    public var detail: String?
    /// When it happened, in Unix seconds.
    public var at: Int64

    /// Creates an event.
    public init(id: Int64, batch: Int64, target: String, event: OfferState, detail: String?, at: Int64) {
        self.id = id
        self.batch = batch
        self.target = target
        self.event = event
        self.detail = detail
        self.at = at
    }
}
