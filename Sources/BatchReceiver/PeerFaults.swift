import Foundation

/// A fault the end-to-end tests inject to prove that a target never keeps
/// a piece a peer lied about. Set only by tests, through the environment:
/// `BATCHD_RECV_TEST_CORRUPT_SERVED=1` makes this target's peer listener
/// flip one byte of every piece it serves. Unset, it has no effect.
enum PeerFaults {
    static let corruptServedPieces = ProcessInfo.processInfo.environment["BATCHD_RECV_TEST_CORRUPT_SERVED"] == "1"
}
