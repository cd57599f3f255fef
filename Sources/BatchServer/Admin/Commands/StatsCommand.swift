import ArgumentParser
import BatchStore

/// `batchctl stats [--json]`: counts over the whole catalogue.
struct StatsCommand: AdminCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Count users, topics, batches, bytes, offers and deliveries; show the relay share and each target's state.")

    @ParentCommand var root: BatchctlCommand

    @Flag(help: "Print one JSON object.")
    var json = false

    func run(context: AdminContext) throws(AdminError) {
        let stats = try context.store { catalogue throws(StoreError) in try catalogue.stats() }
        if json { return try context.writeJSON(stats) }
        StatsDescription(stats).lines.forEach(context.write)
    }
}
