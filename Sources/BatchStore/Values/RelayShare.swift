/// Of the bytes delivered targets received, how many the server sent and
/// how many came from peer targets: the fan-out the relays took off the
/// server. Bytes fetched again after a bad piece count too.
public struct RelayShare: Sendable, Equatable, Codable {
    /// Bytes the server served on fetch channels.
    public var serverBytes: Int64
    /// Bytes peer targets relayed, as the receiving targets reported.
    public var peerBytes: Int64

    /// Creates a share.
    public init(serverBytes: Int64, peerBytes: Int64) {
        self.serverBytes = serverBytes
        self.peerBytes = peerBytes
    }

    /// The fraction of the bytes that came from peers, 0 to 1; 0 when
    /// nothing was delivered.
    public var peerFraction: Double {
        let total = serverBytes + peerBytes
        return total > 0 ? Double(peerBytes) / Double(total) : 0
    }

    enum CodingKeys: String, CodingKey {
        case serverBytes = "server_bytes"
        case peerBytes = "peer_bytes"
        case peerFraction = "peer_fraction"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        serverBytes = try c.decode(Int64.self, forKey: .serverBytes)
        peerBytes = try c.decode(Int64.self, forKey: .peerBytes)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(serverBytes, forKey: .serverBytes)
        try c.encode(peerBytes, forKey: .peerBytes)
        try c.encode(peerFraction, forKey: .peerFraction)
    }
}
