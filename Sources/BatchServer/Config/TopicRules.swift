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

    /// The settings for a drop to named users, some of whom subscribe to
    /// `topics`: the top level's, tightened by each of those topics' own, so
    /// dropping to a topic's subscribers by name skips none of its rules.
    /// The smallest MaxBatchSize and SourceQuota win, every distinct
    /// PreSealHook runs (each must accept), with the longest timeout;
    /// retention stays the top level's.
    public func policy(forUsersSubscribedTo topics: [String]) -> TopicPolicy {
        var policy = defaults
        var hooks = defaults.preSealHook.map { [$0] } ?? []
        for topic in topics {
            let own = self.policy(forTopic: topic)
            policy.maxBatchSize = TopicRules.smaller(policy.maxBatchSize, own.maxBatchSize)
            policy.sourceQuota = TopicRules.smaller(policy.sourceQuota, own.sourceQuota)
            if let hook = own.preSealHook, !hooks.contains(hook) {
                hooks.append(hook)
                policy.preSealTimeout = max(policy.preSealTimeout, own.preSealTimeout)
            }
        }
        // PreSealHook runs `COMMAND "$1"`: each hook gets the folder, and
        // the first to refuse stops the rest with its reason.
        policy.preSealHook = hooks.isEmpty ? nil : hooks.joined(separator: " \"$1\" && ")
        return policy
    }

    /// The stricter of two limits, nil meaning none.
    private static func smaller(_ a: Int64?, _ b: Int64?) -> Int64? {
        switch (a, b) {
        case (nil, let b): return b
        case (let a, nil): return a
        case (let a?, let b?): return min(a, b)
        }
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
