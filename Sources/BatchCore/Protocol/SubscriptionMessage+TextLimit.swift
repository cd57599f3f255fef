extension SubscriptionMessage {
    /// The message with every reason and error message cut to
    /// ``maxTextLength`` UTF-8 bytes, at a character boundary, so the other
    /// side never refuses the frame for its length. A reason can carry
    /// what a peer wrote on its standard error; a peer must not be able to
    /// make a target's report unreadable to the server.
    public func withTextShortened() -> SubscriptionMessage {
        switch self {
        case .decline(let batch, let reason):
            return .decline(batch: batch, reason: Self.shortened(reason))
        case .failed(let batch, let reason):
            return .failed(batch: batch, reason: Self.shortened(reason))
        case .withdrawn(let batch, let reason):
            return .withdrawn(batch: batch, reason: Self.shortened(reason))
        case .dropped(let batch, let source, let reason):
            return .dropped(batch: batch, source: source, reason: Self.shortened(reason))
        case .error(let message):
            return .error(message: Self.shortened(message))
        default:
            return self
        }
    }

    /// `text` cut to at most ``maxTextLength`` UTF-8 bytes, ending in "…"
    /// when it was cut.
    public static func shortened(_ text: String) -> String {
        guard text.utf8.count > maxTextLength else { return text }
        let ellipsis = "…"
        var kept = ""
        var bytes = 0
        for character in text {
            let size = character.utf8.count
            guard bytes + size + ellipsis.utf8.count <= maxTextLength else { break }
            kept.append(character)
            bytes += size
        }
        return kept + ellipsis
    }
}
