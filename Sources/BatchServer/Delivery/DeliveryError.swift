/// Why a subscribe, fetch or watch request was refused; the description is
/// what the client prints.
enum DeliveryError: Error, Sendable, Equatable, CustomStringConvertible {
    case notOffered(batch: Int64, user: String)
    case notAccepted(batch: Int64, state: String)
    case unavailable(batch: Int64, state: String)
    case pieceRange(batch: Int64, pieces: Int)
    case notYours(batch: Int64)
    case catalogue(String)
    case usage(String)

    var description: String {
        switch self {
        case .notOffered(let batch, let user):
            return "batch \(batch) was not offered to \(user)"
        case .notAccepted(let batch, let state):
            return "batch \(batch) is \(state) for you; accept its offer before fetching"
        case .unavailable(let batch, let state):
            return "batch \(batch) cannot be fetched: it is \(state)"
        case .pieceRange(let batch, let pieces):
            return "batch \(batch) has \(pieces) pieces, numbered 0 to \(pieces - 1)"
        case .notYours(let batch):
            return "batch \(batch) is not one of your batches; 'batches' lists them"
        case .catalogue(let reason):
            return "the server could not read its catalogue: \(reason)"
        case .usage(let text):
            return text
        }
    }
}
