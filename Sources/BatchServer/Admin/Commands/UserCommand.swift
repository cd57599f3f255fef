import ArgumentParser
import BatchCore
import BatchStore

/// `batchctl user …`: people and machines and their roles.
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Add, import, list and remove users.",
        subcommands: [Add.self, Import.self, List.self, Remove.self])

    /// `batchctl user add NAME --role ROLE --key FILE`
    struct Add: AdminCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user with one or more public keys.")

        @ParentCommand var root: BatchctlCommand

        @Argument(help: "The login name: letters, digits, '.', '_' and '-'.")
        var name: String

        @Option(help: "What the user may do.")
        var role: Role

        @Option(help: ArgumentHelp("An authorized_keys-format file with one or more public keys; '-' reads standard input.", valueName: "file"))
        var key: String

        func run(context: AdminContext) throws(AdminError) {
            let keys = try context.keys(fromFile: key)
            try context.store { catalogue throws(StoreError) in try catalogue.addUser(name: name, role: role, keys: keys) }
            context.write("added \(role.rawValue) '\(name)' with \(keys.count) \(keys.count == 1 ? "key" : "keys")")
        }
    }

    /// `batchctl user import --role ROLE FILE`
    struct Import: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add many users of one role at once: all of them, or none.",
            discussion: "Each line of the file is a user name and an authorized_keys line; several lines with one name give it several keys.")

        @ParentCommand var root: BatchctlCommand

        @Option(help: "What every user in the file may do.")
        var role: Role

        @Argument(help: ArgumentHelp("Lines of NAME KEYTYPE BASE64 [COMMENT]; '-' reads standard input.", valueName: "file"))
        var file: String

        func run(context: AdminContext) throws(AdminError) {
            let users = try context.users(fromFile: file)
            try context.store { catalogue throws(StoreError) in
                try catalogue.addUsers(users.map { (name: $0.name, keys: $0.keys) }, role: role)
            }
            let keys = users.reduce(0) { $0 + $1.keys.count }
            context.write("added \(users.count) \(role.rawValue) \(users.count == 1 ? "user" : "users") with \(keys) \(keys == 1 ? "key" : "keys")")
        }
    }

    /// `batchctl user list [--json]`
    struct List: AdminCommand {
        static let configuration = CommandConfiguration(abstract: "List users with their roles, key counts and topics.")

        @ParentCommand var root: BatchctlCommand

        @Flag(help: "Print one JSON array.")
        var json = false

        func run(context: AdminContext) throws(AdminError) {
            let users = try context.store { catalogue throws(StoreError) in try catalogue.users() }
            if json { return try context.writeJSON(users) }
            var table = TextTable(header: ["NAME", "ROLE", "KEYS", "TOPICS"])
            for user in users {
                table.append([user.name, user.role.rawValue, String(user.keys), user.topics.isEmpty ? "-" : user.topics.joined(separator: ",")])
            }
            table.lines.forEach(context.write)
        }
    }

    /// `batchctl user remove NAME`
    struct Remove: AdminCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user, its keys and subscriptions; its batches stay.")

        @ParentCommand var root: BatchctlCommand

        @Argument(help: "The user to remove.")
        var name: String

        func run(context: AdminContext) throws(AdminError) {
            try context.store { catalogue throws(StoreError) in try catalogue.removeUser(name: name) }
            context.write("removed user '\(name)'")
        }
    }
}
