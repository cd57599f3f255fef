import Foundation

/// A fault the end-to-end tests inject into this target's peer listener,
/// to prove that other targets neither keep a piece a peer lied about nor
/// wait on a peer that stalls. Set only by tests, through the environment
/// variable `BATCHD_RECV_TEST_PEER_FAULT`; unset, there is none.
enum PeerFaults: String {
    /// Flip one byte of every piece served.
    case corrupt
    /// Serve the first piece of each fetch, then one true byte every five
    /// seconds: a trickle that never trips a timeout.
    case stall

    static let current = ProcessInfo.processInfo.environment["BATCHD_RECV_TEST_PEER_FAULT"].flatMap(PeerFaults.init(rawValue:))
}
