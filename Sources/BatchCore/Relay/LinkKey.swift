/// One directed link, named by the side that sends and the side that
/// receives: `server` or a target's user name each.
public struct LinkKey: Hashable, Sendable {
    /// The side the bytes leave.
    public var from: String
    /// The side the bytes arrive at.
    public var to: String

    /// Creates a key for the link `from` → `to`.
    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}
