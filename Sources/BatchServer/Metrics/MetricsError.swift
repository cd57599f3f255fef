/// Why the metrics endpoint could not start.
public enum MetricsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The address could not be bound; `reason` is the system's.
    case cannotListen(address: String, reason: String)

    public var description: String {
        switch self {
        case .cannotListen(let address, let reason):
            return "cannot serve metrics on \(address) (MetricsListen): \(reason)"
        }
    }
}
