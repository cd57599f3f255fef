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

    /// `batchctl batch purge ID…`
    struct Purge: AdminCommand {
        static let configuration = CommandConfiguration(abstract: "Delete batches' archives, keeping their records.")

        @ParentCommand var root: BatchctlCommand

        @Argument(help: "The batch ids.")
        var ids: [Int64]

        func run(context: AdminContext) throws(AdminError) {
            for id in ids {
                let archive = try context.store { catalogue throws(StoreError) in try catalogue.purgeBatch(id: id) }
                // A crash here leaves an archive no batch owns; batchd removes
                // such archives when it starts.
                CrashPoint.purge.reached()
                if let archive, FileManager.default.fileExists(atPath: archive) {
                    do {
                        try FileManager.default.removeItem(atPath: archive)
                    } catch {
                        throw .archiveNotRemoved(path: archive, reason: error.localizedDescription)
                    }
                }
                context.write("purged batch \(id)")
            }
        }
    }
}
