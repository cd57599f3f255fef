import Locking

/// The encoded offers of the newest batches, so that the thousands of
/// subscribers of a topic that connect after a seal cost one encoding, not
/// one catalogue read each. Safe from any thread.
final class OfferFrames: Sendable {
    /// Batch → frame, newest few; the mutex guards only the map.
    private let frames = Locked<[Int64: [UInt8]]>([:])
    static let capacity = 16

    subscript(batch: Int64) -> [UInt8]? {
        get { frames.withLock { $0[batch] } }
        set {
            frames.withLock { frames in
                frames[batch] = newValue
                if frames.count > OfferFrames.capacity, let oldest = frames.keys.min() {
                    frames.removeValue(forKey: oldest)
                }
            }
        }
    }
}
