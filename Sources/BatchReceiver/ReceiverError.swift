/// Why batchd-recv could not do something, as a sentence for its user.
public enum ReceiverError: Error, Sendable, Equatable, CustomStringConvertible {
    case configuration(String)
    case storage(path: String, reason: String)
    case corruptArchive(batch: Int64, expected: String, got: String)
    case fetchFailed(batch: Int64, reason: String)
    case extraction(String)
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .configuration(let reason):
            return reason
        case .storage(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .corruptArchive(let batch, let expected, let got):
            return "batch \(batch): the assembled archive's SHA-256 is \(got), the offer said \(expected); it was not kept"
        case .fetchFailed(let batch, let reason):
            return "batch \(batch) could not be fetched: \(reason)"
        case .extraction(let reason):
            return "extraction refused: \(reason)"
        case .protocolViolation(let reason):
            return "the server broke the subscription protocol: \(reason)"
        }
    }
}
