import ArgumentParser
import BatchArchive
import BatchStore

extension BatchCommand {
    /// `batchctl batch verify [ID…] [--json]`
    struct Verify: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-read sealed archives and check them against their recorded SHA-256 and piece digests.",
            discussion: "Exits 1 if any archive is corrupt, missing or unreadable.")

        @ParentCommand var root: BatchctlCommand

        @Argument(help: "The batch ids; none checks every sealed batch.")
        var ids: [Int64] = []

        @Flag(help: "Print one JSON array.")
        var json = false

        func run(context: AdminContext) throws(AdminError) {
            let batches = try context.store { catalogue throws(StoreError) in try sealedBatches(catalogue) }
            let total = batches.reduce(Int64(0)) { $0 + ($1.detail.size ?? 0) }
            let progress = context.progress
            progress?.begin(label: "verifying", total: total)
            var done: Int64 = 0
            var results: [ArchiveVerification] = []
            for (number, batch) in batches.enumerated() {
                let detail = batch.detail
                progress?.relabel("batch \(detail.id) (\(number + 1)/\(batches.count))")
                progress?.update(done: done)
                let expected = ArchiveSummary(size: UInt64(detail.size ?? 0), sha256: detail.sha256 ?? "",
                                              pieceSize: detail.pieceSize ?? 0, pieces: batch.pieces)
                let archive = detail.archive ?? context.layout.archive(batch: detail.id)
                let start = done
                let check = ArchiveVerifier.check(path: archive, against: expected) { count in
                    done += Int64(count)
                    progress?.update(done: done)
                }
                done = start + (detail.size ?? 0)
                let result = ArchiveVerification(batch: detail.id, archive: archive, size: detail.size ?? 0,
                                                 pieceCount: batch.pieces.count, check: check)
                results.append(result)
                if !json { context.write(result.line) }
            }
            progress?.finish()
            if json {
                try context.writeJSON(results)
            } else if batches.isEmpty {
                context.write("no sealed batch to verify")
            }
            let failed = results.filter { !$0.isIntact }.count
            if failed > 0 { throw .verificationFailed(failed: failed, checked: results.count) }
        }

        /// The batches named, each of which must be sealed, or every sealed
        /// batch, oldest first; with their piece digests.
        private func sealedBatches(_ catalogue: Catalogue) throws(StoreError) -> [(detail: BatchDetail, pieces: [String])] {
            var wanted = ids
            if wanted.isEmpty {
                wanted = try catalogue.batches().filter { $0.state == .sealed }.map(\.id).sorted()
            }
            var batches: [(detail: BatchDetail, pieces: [String])] = []
            for id in wanted {
                guard let detail = try catalogue.batch(id: id) else { throw .unknownBatch(id) }
                guard detail.state == .sealed else { throw .wrongBatchState(id: id, state: detail.state, operation: "verify") }
                batches.append((detail, try catalogue.pieces(batch: id)))
            }
            return batches
        }
    }
}
