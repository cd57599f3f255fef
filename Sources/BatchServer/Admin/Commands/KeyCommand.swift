import ArgumentParser
import BatchStore
import Foundation

/// `batchctl key …`: the public keys users log in with.
struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Add, list and revoke public keys.",
        subcommands: [Add.self, List.self, Revoke.self])

    /// `batchctl key add USER --key FILE`
    struct Add: AdminCommand {
        static let configuration = CommandConfiguration(abstract: "Add public keys to an existing user.")

        @ParentCommand var root: BatchctlCommand

        @Argument(help: "The user the keys belong to.")
        var user: String

        @Option(help: ArgumentHelp("An authorized_keys-format file with one or more public keys; '-' reads standard input.", valueName: "file"))
        var key: String

        func run(context: AdminContext) throws(AdminError) {
            let keys = try context.keys(fromFile: key)
            try context.store { catalogue throws(StoreError) in try catalogue.addKeys(user: user, keys: keys) }
            for newKey in keys {
                context.write("added key \(newKey.fingerprint) to '\(user)'")
            }
        }
    }

    /// `batchctl key list [USER] [--json]`
    struct List: AdminCommand {
        static let configuration = CommandConfiguration(abstract: "List keys, revoked ones included, of one user or all.")

        @ParentCommand var root: BatchctlCommand

        @Argument(help: "Only this user's keys.")
        var user: String?

        @Flag(help: "Print one JSON array.")
        var json = false

        func run(context: AdminContext) throws(AdminError) {
            let keys = try context.store { catalogue throws(StoreError) in try catalogue.keys(user: user) }
            if json { return try context.writeJSON(keys) }
            var table = TextTable(header: ["USER", "ID", "TYPE", "BITS", "FINGERPRINT", "STATUS", "COMMENT"])
            for key in keys {
                let status = key.revokedAt.map { "revoked " + Self.date($0) } ?? "active"
                table.append([key.user, String(key.id), key.type, String(key.bits), key.fingerprint, status, key.comment])
            }
            table.lines.forEach(context.write)
        }

        private static func date(_ seconds: Int64) -> String {
            ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        }
    }

    /// `batchctl key revoke FINGERPRINT`
    struct Revoke: AdminCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key; its user can no longer log in with it.")

        @ParentCommand var root: BatchctlCommand

        @Argument(help: "The key's fingerprint (SHA256:…) or id, as key list shows.")
        var fingerprint: String

        func run(context: AdminContext) throws(AdminError) {
            let key = try context.store { catalogue throws(StoreError) in try catalogue.revokeKey(fingerprint) }
            context.write("revoked key \(key.fingerprint) of '\(key.user)'")
        }
    }
}
