/// Where a target serves pieces to its peers, as its hello said, with the
/// host key its peers are told to pin.
struct PeerEndpoint: Sendable, Equatable {
    var address: String
    var hostKey: String
}
