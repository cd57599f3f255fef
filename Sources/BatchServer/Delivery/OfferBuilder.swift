import BatchCore
import BatchStore
import Logging

/// Builds the offer a target receives from what the catalogue recorded at seal.
enum OfferBuilder {
    static func offer(for id: Int64, catalogue: Catalogue) throws(StoreError) -> Offer? {
        guard let detail = try catalogue.batch(id: id, targets: false), detail.state == .sealed,
              let size = detail.size, let sha256 = detail.sha256, let pieceSize = detail.pieceSize else { return nil }
        let pieces = try catalogue.pieces(batch: id)
        let (files, fileCount) = Offer.listed(detail.files.map { OfferFile(path: $0.path, size: $0.size) })
        return Offer(
            batch: id, topic: detail.topic, destination: detail.destination, source: detail.source,
            name: detail.topic ?? "from-\(detail.source)",
            files: files, fileCount: fileCount, size: size, sha256: sha256, pieceSize: pieceSize, pieces: pieces)
    }

    /// The offer of batch `id` as one subscribe frame, or nil when there is
    /// none to send. A frame a subscriber would refuse (a piece list past
    /// its 1 MiB limit: an archive of more than about 15,000 pieces) is
    /// never sent, since the subscriber would drop its connection and get
    /// the same frame again on every reconnect; it is logged instead.
    static func frame(for id: Int64, catalogue: Catalogue, logger: Logger) throws(StoreError) -> [UInt8]? {
        guard let offer = try offer(for: id, catalogue: catalogue) else { return nil }
        let frame = SubscriptionMessage.offer(offer).encodeFrame()
        guard frame.count <= SubscriptionFramer.maxFrameLength + 4 else {
            logger.error("offer too large for the subscribe protocol; a larger PieceSize makes fewer pieces",
                         metadata: ["batch": "\(id)", "bytes": "\(frame.count)", "pieces": "\(offer.pieceCount)"])
            return nil
        }
        return frame
    }
}
