import BatchCore

extension ServerConfiguration {
    /// `MetricsListen none` or a loopback `HOST:PORT`. The endpoint has no
    /// authentication, so any other address is refused: a scraper on
    /// another machine reaches it through a tunnel or a local agent.
    static func metricsAddress(_ line: ConfigLine) throws(ConfigError) -> HostPort? {
        if line.value.lowercased() == "none" { return nil }
        let expected = "none, or a loopback HOST:PORT such as 127.0.0.1:9100, [::1]:9100 or localhost:9100"
        let address: HostPort
        do {
            address = try HostPort(parsing: line.value)
        } catch {
            throw line.error(.invalidValue(line.value, expected: expected))
        }
        guard address.isLoopback else {
            throw line.error(.invalidValue(line.value, expected: expected + " (the endpoint has no authentication)"))
        }
        return address
    }
}
