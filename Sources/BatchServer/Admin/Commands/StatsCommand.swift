import ArgumentParser
import BatchCore
import BatchStore

/// `batchctl stats [--json]`: counts over the whole catalogue.
struct StatsCommand: AdminCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Count users, topics, batches and offers.")

    @ParentCommand var root: BatchctlCommand

    @Flag(help: "Print one JSON object.")
    var json = false

    func run(context: AdminContext) throws(AdminError) {
        let stats = try context.store { catalogue throws(StoreError) in try catalogue.stats() }
        if json { return try context.writeJSON(stats) }
        func counts(_ values: [String: Int], order: [String]) -> String {
            order.map { "\(values[$0] ?? 0) \($0)" }.joined(separator: ", ")
        }
        context.write("users: " + counts(stats.users, order: Role.allCases.map(\.rawValue)))
        context.write("topics: \(stats.topics)")
        context.write("batches: " + counts(stats.batches, order: BatchState.allCases.map(\.rawValue)))
        context.write("sealed bytes: \(stats.sealedBytes)")
        context.write("offers: " + counts(stats.offers, order: OfferState.allCases.map(\.rawValue)))
    }
}
