/// How a batch's seal ended, for the source that waits for it.
enum SealOutcome: Sendable, Equatable {
    /// Sealed and recorded; offers are out.
    case sealed(Int64)
    /// Nothing was uploaded completely: no batch.
    case discarded
    /// The batch failed: the pre-seal hook refused it (its first line), or
    /// the archive or the catalogue could not be written.
    case failed(batch: Int64, reason: String)

    /// The sentence a source is shown when its drop did not become a batch.
    var refusal: String? {
        switch self {
        case .sealed, .discarded: return nil
        case .failed(let batch, let reason): return "batch \(batch) was not sealed: \(reason)"
        }
    }
}
