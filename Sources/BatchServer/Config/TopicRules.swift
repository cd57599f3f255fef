/// The topic settings of a config: the defaults and the `Match Topic`
/// blocks, resolved per topic.
public struct TopicRules: Sendable, Equatable {
    /// The top-level settings, for every topic and for drops to `@users`.
    public var defaults = TopicPolicy()
    /// The `Match Topic` blocks in file order; later ones win.
    public var matches: [TopicMatch] = []

    public init() {}

    /// The settings for drops to `topic`, or to named users when nil.
    public func policy(forTopic topic: String?) -> TopicPolicy {
        var policy = defaults
        guard let topic else { return policy }
        for block in matches where block.matches(topic) {
            for change in block.changes { policy.apply(change) }
        }
        return policy
    }

    /// The shortest retention anywhere in the rules, which sets how often
    /// expired batches are looked for; nil when nothing expires.
    public var shortestRetention: Int? {
        var all: [Int] = defaults.retention.map { [$0] } ?? []
        for block in matches {
            for case .retention(let seconds?) in block.changes { all.append(seconds) }
        }
        return all.min()
    }
}
