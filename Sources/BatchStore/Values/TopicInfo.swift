/// A topic and the targets subscribed to it.
public struct TopicInfo: Sendable, Equatable, Codable {
    /// The topic name, the first path component of a drop.
    public var name: String
    /// The subscribed target users, sorted.
    public var subscribers: [String]

    /// Creates a topic description.
    public init(name: String, subscribers: [String]) {
        self.name = name
        self.subscribers = subscribers
    }
}
