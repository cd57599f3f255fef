import ArgumentParser
import BatchStore

/// `batchctl topic …`: named lists of targets.
struct TopicCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topic",
        abstract: "Add, list and remove topics and their subscribers.",
        subcommands: [Add.self, List.self, Remove.self, Subscribe.self, Unsubscribe.self])

    /// `batchctl topic add TOPIC`
    struct Add: AdminCommand {
        static let configuration = CommandConfiguration(abstract: "Create an empty topic.")

        @ParentCommand var root: BatchctlCommand

        @Argument(help: "The topic name, the first path component sources drop to.")
        var topic: String

        func run(context: AdminContext) throws(AdminError) {
            try context.store { catalogue throws(StoreError) in try catalogue.addTopic(topic) }
            context.write("added topic '\(topic)'")
        }
    }

    /// `batchctl topic list [--json]`
    struct List: AdminCommand {
        static let configuration = CommandConfiguration(abstract: "List topics with their subscribers.")

        @ParentCommand var root: BatchctlCommand

        @Flag(help: "Print one JSON array.")
        var json = false

        func run(context: AdminContext) throws(AdminError) {
            let topics = try context.store { catalogue throws(StoreError) in try catalogue.topics() }
            if json { return try context.writeJSON(topics) }
            var table = TextTable(header: ["TOPIC", "SUBSCRIBERS"])
            for topic in topics {
                table.append([topic.name, topic.subscribers.isEmpty ? "-" : topic.subscribers.joined(separator: ",")])
            }
            table.lines.forEach(context.write)
        }
    }

    /// `batchctl topic remove TOPIC`
    struct Remove: AdminCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a topic; batches already dropped to it keep their offers.")

        @ParentCommand var root: BatchctlCommand

        @Argument(help: "The topic to delete.")
        var topic: String

        func run(context: AdminContext) throws(AdminError) {
            try context.store { catalogue throws(StoreError) in try catalogue.removeTopic(topic) }
            context.write("removed topic '\(topic)'")
        }
    }

    /// `batchctl topic subscribe TOPIC USER…`
    struct Subscribe: AdminCommand {
        static let configuration = CommandConfiguration(abstract: "Put target users on a topic's list.")

        @ParentCommand var root: BatchctlCommand

        @Argument(help: "The topic.")
        var topic: String

        @Argument(help: "Target users to subscribe.")
        var users: [String]

        func run(context: AdminContext) throws(AdminError) {
            try context.store { catalogue throws(StoreError) in try catalogue.subscribe(topic: topic, users: users) }
            context.write("subscribed \(users.map { "'\($0)'" }.joined(separator: ", ")) to '\(topic)'")
        }
    }

    /// `batchctl topic unsubscribe TOPIC USER…`
    struct Unsubscribe: AdminCommand {
        static let configuration = CommandConfiguration(abstract: "Take users off a topic's list.")

        @ParentCommand var root: BatchctlCommand

        @Argument(help: "The topic.")
        var topic: String

        @Argument(help: "Users to unsubscribe.")
        var users: [String]

        func run(context: AdminContext) throws(AdminError) {
            try context.store { catalogue throws(StoreError) in try catalogue.unsubscribe(topic: topic, users: users) }
            context.write("unsubscribed \(users.map { "'\($0)'" }.joined(separator: ", ")) from '\(topic)'")
        }
    }
}
