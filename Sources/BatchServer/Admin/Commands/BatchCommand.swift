import ArgumentParser
import BatchCore
import BatchStore
import Foundation

/// `batchctl batch …`: dropped batches and their delivery.
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "List, show, verify and purge batches.",
        subcommands: [List.self, Show.self, Verify.self, Purge.self])

    /// `batchctl batch list [--source USER] [--json]`
    struct List: AdminCommand {
        static let configuration = CommandConfiguration(abstract: "List batches, newest first.")

        @ParentCommand var root: BatchctlCommand

        @Option(help: ArgumentHelp("Only batches dropped by this user.", valueName: "user"))
        var source: String?

        @Flag(help: "Print one JSON array.")
        var json = false

        func run(context: AdminContext) throws(AdminError) {
            let batches = try context.store { catalogue throws(StoreError) in try catalogue.batches(source: source) }
            if json { return try context.writeJSON(batches) }
            var table = TextTable(header: ["ID", "STATE", "SOURCE", "DESTINATION", "SIZE", "FILES", "TARGETS"])
            for batch in batches {
                let targets = batch.targets.map { "\($0.user):\($0.state.rawValue)" }.joined(separator: ",")
                table.append([
                    String(batch.id), batch.state.rawValue, batch.source, batch.destination,
                    batch.size.map(String.init) ?? "-", String(batch.fileCount), targets.isEmpty ? "-" : targets,
                ])
            }
            table.lines.forEach(context.write)
        }
    }

    /// `batchctl batch show ID [--json]`
    struct Show: AdminCommand {
        static let configuration = CommandConfiguration(abstract: "Show one batch: archive, files and each target's state.")

        @ParentCommand var root: BatchctlCommand

        @Argument(help: "The batch id.")
        var id: Int64

        @Flag(help: "Print one JSON object.")
        var json = false

        func run(context: AdminContext) throws(AdminError) {
            guard let batch = try context.store({ catalogue throws(StoreError) in try catalogue.batch(id: id) }) else {
                throw .store(.unknownBatch(id))
            }
            if json { return try context.writeJSON(batch) }
            BatchDescription(batch).lines.forEach(context.write)
        }
    }

    /// `batchctl batch purge ID… [--force]`, `batchctl batch purge --expired`
    struct Purge: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete batches' archives, keeping their records.",
            discussion: """
                A batch a target is still fetching is not purged unless --force is given. \
                --expired purges every sealed batch kept past its topic's Retention in the config.
                """)

        @ParentCommand var root: BatchctlCommand

        @Argument(help: "The batch ids.")
        var ids: [Int64] = []

        @Flag(help: "Purge the batches kept past their topic's Retention (batchd.conf, or the server's over ssh).")
        var expired = false

        @Flag(help: "Purge even while targets are fetching the batch; their deliveries fail.")
        var force = false

        func run(context: AdminContext) throws(AdminError) {
            if expired {
                guard ids.isEmpty, !force else { throw .usage("--expired takes no batch ids and no --force") }
                return try purgeExpired(context: context)
            }
            guard !ids.isEmpty else { throw .usage("name the batches to purge, or give --expired") }
            for id in ids {
                do throws(PurgeError) {
                    let purged = try BatchServer.Purge.batch(id, reason: "purged by an admin", force: force,
                                                             catalogue: context.catalogue)
                    context.write("purged batch \(id)" + Self.withdrawn(purged))
                } catch {
                    throw AdminError(error)
                }
            }
        }

        private func purgeExpired(context: AdminContext) throws(AdminError) {
            let rules = try context.topicRules()
            let now = Int64(Date().timeIntervalSince1970)
            let results = try context.store { catalogue throws(StoreError) in
                try BatchServer.Purge.expired(rules: rules, catalogue: catalogue, now: now)
            }
            var failure: AdminError?
            for result in results {
                switch result {
                case .purged(let purged, let batch):
                    context.write("purged batch \(purged.id): expired after \(DurationText.describe(batch.retention))"
                                  + Self.withdrawn(purged))
                case .kept(let batch, let error):
                    // Still being delivered is expected: it is purged once delivered.
                    context.write("kept batch \(batch.id): \(error)")
                    if case .store(.beingDelivered) = error { continue }
                    failure = failure ?? AdminError(error)
                }
            }
            if results.isEmpty { context.write("no sealed batch is past its retention") }
            if let failure { throw failure }
        }

        private static func withdrawn(_ purged: PurgedBatch) -> String {
            purged.withdrawnFrom.isEmpty ? "" : " (open offers ended: \(purged.withdrawnFrom.joined(separator: ", ")))"
        }
    }
}
