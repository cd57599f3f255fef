import BatchCore
import BatchStore

/// Builds the offer a target receives from what the catalogue recorded at seal.
enum OfferBuilder {
    static func offer(for id: Int64, catalogue: Catalogue) throws(StoreError) -> Offer? {
        guard let detail = try catalogue.batch(id: id, targets: false), detail.state == .sealed,
              let size = detail.size, let sha256 = detail.sha256, let pieceSize = detail.pieceSize else { return nil }
        let pieces = try catalogue.pieces(batch: id)
        return Offer(
            batch: id, topic: detail.topic, destination: detail.destination, source: detail.source,
            name: detail.topic ?? "from-\(detail.source)",
            files: detail.files.map { OfferFile(path: $0.path, size: $0.size) },
            size: size, sha256: sha256, pieceSize: pieceSize, pieces: pieces)
    }
}
