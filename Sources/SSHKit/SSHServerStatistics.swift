/// What the SSH listener can say about itself at a glance, for metrics:
/// read from counters the accept thread and the loops keep, never by
/// visiting the sessions.
public struct SSHServerStatistics: Sendable, Equatable {
    /// Connections accepted and not yet closed, logged in or not.
    public var connections: Int
    /// Of those, the ones that authenticated.
    public var authenticated: Int
    /// Failed authentication attempts since the server started.
    public var authenticationFailures: Int
    /// Connections closed at once since the server started: MaxStartups,
    /// PerSourceMaxStartups or a penalty refused them.
    public var refusedConnections: Int
    /// Source addresses serving a penalty now.
    public var penalizedSources: Int

    /// Creates a set of figures.
    public init(connections: Int, authenticated: Int, authenticationFailures: Int, refusedConnections: Int, penalizedSources: Int) {
        self.connections = connections
        self.authenticated = authenticated
        self.authenticationFailures = authenticationFailures
        self.refusedConnections = refusedConnections
        self.penalizedSources = penalizedSources
    }
}
