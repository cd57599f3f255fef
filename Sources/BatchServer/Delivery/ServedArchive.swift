import BatchCore
import BatchStore

/// The archive range a `fetch` may be served, once the offer lifecycle said
/// `serve` and the batch is sealed with its archive in place; for a
/// `pieces` request, the hashes asked for, read from the catalogue.
struct ServedArchive: Sendable {
    let path: String
    let size: Int64
    let pieceSize: Int64
    let pieceCount: Int
    /// The raw hashes of the pieces a `pieces` request asked for; nil for `fetch`.
    var hashes: [UInt8]?

    /// Checks `request` against the catalogue; throws the sentence the
    /// client is sent when it may not be served. Reads the catalogue, so
    /// never on a loop thread.
    static func check(_ request: FetchRequest, user: String, catalogue: Catalogue) throws(DeliveryError) -> ServedArchive {
        let state: OfferState?
        let detail: BatchDetail?
        do {
            state = try catalogue.offerState(batch: request.batch, target: user)
            detail = try catalogue.batch(id: request.batch, targets: false)
        } catch {
            throw .catalogue("\(error)")
        }
        for action in OfferLifecycle.apply(.fetch, to: state).actions {
            if case .refuse(let refusal) = action {
                if case .notFetchable(let state) = refusal { throw .notAccepted(batch: request.batch, state: state.rawValue) }
                throw .notOffered(batch: request.batch, user: user)
            }
        }
        guard let detail else { throw .notOffered(batch: request.batch, user: user) }
        guard detail.state == .sealed, let archive = detail.archive, let size = detail.size,
              let pieceSize = detail.pieceSize else {
            throw .unavailable(batch: request.batch, state: detail.state.rawValue)
        }
        guard request.last < detail.pieceCount else {
            throw .pieceRange(batch: request.batch, pieces: detail.pieceCount)
        }
        var served = ServedArchive(path: archive, size: size, pieceSize: Int64(pieceSize), pieceCount: detail.pieceCount)
        if request.content == .hashes {
            let hashes: [String]
            do {
                hashes = try catalogue.pieces(batch: request.batch, indices: request.first ... request.last)
            } catch {
                throw .catalogue("\(error)")
            }
            guard hashes.count == request.last - request.first + 1, let bytes = PieceListBytes.encode(hashes) else {
                throw .catalogue("the piece hashes of batch \(request.batch) are not all recorded")
            }
            served.hashes = bytes
        }
        return served
    }
}
