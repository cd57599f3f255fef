/// One target's offer of one batch.
public struct OfferKey: Hashable, Sendable {
    public let batch: Int64
    public let target: String

    public init(batch: Int64, target: String) {
        self.batch = batch
        self.target = target
    }
}
