/// The bytes of one sealed batch's files, by its source and topic (nil
/// for named users), at its seal time (Unix seconds): what a quota counts.
public struct SealedDrop: Sendable, Equatable {
    public var source: String
    public var topic: String?
    public var sealedAt: Int64
    public var bytes: Int64

    public init(source: String, topic: String?, sealedAt: Int64, bytes: Int64) {
        self.source = source
        self.topic = topic
        self.sealedAt = sealedAt
        self.bytes = bytes
    }
}
