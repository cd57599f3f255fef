import Glibc

/// A `Match Topic PATTERN[,PATTERN…]` block of batchd.conf(5): the topic
/// settings it changes, for the topics its patterns match.
public struct TopicMatch: Sendable, Equatable {
    /// Shell-style patterns (`*`, `?`, `[…]`), as sshd_config(5) Match
    /// patterns; a leading `!` excludes the topics it matches.
    public var patterns: [String]
    /// The block's settings, in file order.
    public var changes: [TopicPolicy.Change] = []

    public init(patterns: [String]) {
        self.patterns = patterns
    }

    /// Whether the block applies to `topic`: some pattern matches it and
    /// no negated one does.
    public func matches(_ topic: String) -> Bool {
        var matched = false
        for pattern in patterns {
            if pattern.hasPrefix("!") {
                if fnmatch(String(pattern.dropFirst()), topic, 0) == 0 { return false }
            } else if fnmatch(pattern, topic, 0) == 0 {
                matched = true
            }
        }
        return matched
    }
}
