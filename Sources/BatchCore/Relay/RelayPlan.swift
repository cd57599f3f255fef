/// Who receives a batch from the server, and where every other accepted
/// target fetches it from.
public struct RelayPlan: Sendable, Equatable {
    /// The one target the server sends the batch to; `nil` when no target
    /// can relay (none accepted, or every one failed).
    public var firstReceiver: String?
    /// For each accepted target, its sources best first, ending with
    /// `server`.
    public var sources: [String: [String]]

    /// Creates a plan.
    public init(firstReceiver: String?, sources: [String: [String]]) {
        self.firstReceiver = firstReceiver
        self.sources = sources
    }

    /// The source `target` fetches from first, or `nil` if the plan does not
    /// cover it.
    public func primary(of target: String) -> String? {
        sources[target]?.first
    }
}
