/// How a source address is made to wait after misbehaving, in the manner
/// of OpenSSH's PerSourcePenalties. Each offence adds its seconds to the
/// address's penalty, which runs down in real time and never exceeds
/// `maximum`; while more than `minimum` seconds remain, new connections
/// from that address are closed at once, before any key exchange.
public struct PenaltyPolicy: Sendable, Equatable, CustomStringConvertible {
    /// A connection that failed authentication (a wrong key, too many tries).
    public var authFailure: Double
    /// A connection that ended without authenticating or failing to.
    public var noAuth: Double
    /// A connection that ran out of LoginGraceTime.
    public var graceExceeded: Double
    public var minimum: Double
    public var maximum: Double

    /// OpenSSH 9.8's defaults.
    public static let standard = PenaltyPolicy(authFailure: 5, noAuth: 1, graceExceeded: 20, minimum: 15, maximum: 600)

    public init(authFailure: Double, noAuth: Double, graceExceeded: Double, minimum: Double, maximum: Double) {
        self.authFailure = authFailure
        self.noAuth = noAuth
        self.graceExceeded = graceExceeded
        self.minimum = minimum
        self.maximum = maximum
    }

    /// The seconds one offence adds.
    func seconds(for offence: SourceOffence) -> Double {
        switch offence {
        case .authFailure: return authFailure
        case .noAuth: return noAuth
        case .graceExceeded: return graceExceeded
        }
    }

    /// The `authfail:5 noauth:1 …` form batchd.conf(5) uses.
    public var description: String {
        func seconds(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
        return "authfail:\(seconds(authFailure)) noauth:\(seconds(noAuth)) grace-exceeded:\(seconds(graceExceeded))"
            + " min:\(seconds(minimum)) max:\(seconds(maximum))"
    }
}

/// What an unauthenticated connection did to earn its source a penalty.
enum SourceOffence: Sendable {
    case authFailure
    case noAuth
    case graceExceeded
}
