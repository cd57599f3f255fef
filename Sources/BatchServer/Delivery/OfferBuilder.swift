import BatchCore
import BatchStore
import Crypto
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
        .sent { SHA256.hash(data: PieceListBytes.encode(pieces) ?? []).map { String(format: "%02x", $0) }.joined() }
    }

    /// The offer of batch `id` as one subscribe frame, or nil when there is
    /// none to send. A long piece list is left out of it (targets fetch it
    /// with `pieces`), so the frame stays small; a frame a subscriber would
    /// still refuse (past its 1 MiB limit, or more pieces than
    /// ``Offer/maxPieceCount``) is never sent, since the subscriber would
    /// drop its connection and get the same frame again on every
    /// reconnect; it is logged instead.
    static func frame(for id: Int64, catalogue: Catalogue, logger: Logger) throws(StoreError) -> [UInt8]? {
        guard let offer = try offer(for: id, catalogue: catalogue) else { return nil }
        let frame = SubscriptionMessage.offer(offer).encodeFrame()
        guard frame.count <= SubscriptionFramer.maxFrameLength + 4, offer.pieceCount <= Offer.maxPieceCount else {
            logger.error("offer too large for the subscribe protocol; a larger PieceSize makes fewer pieces",
                         metadata: ["batch": "\(id)", "bytes": "\(frame.count)", "pieces": "\(offer.pieceCount)"])
            return nil
        }
        return frame
    }
}
