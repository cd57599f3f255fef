import ArgumentParser
import BatchStore

/// The root of the `batchctl` command tree. Its options say where the
/// server's state is; its subcommands act on it.
public struct BatchctlCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "batchctl",
        abstract: "Manage batchd's users, keys, topics and batches.",
        discussion: """
            Runs on the server's state directory, or remotely as 'ssh admin@host batchctl …' \
            with an admin key, where --config and --state are not accepted.
            Exit status: 0 success, 1 refused by the catalogue, 64 usage error, \
            65 unusable key file, 66 unreadable key file, 69 catalogue unavailable, \
            74 archive not deleted, 78 unreadable config file.
            """,
        subcommands: [UserCommand.self, KeyCommand.self, TopicCommand.self, BatchCommand.self, StatsCommand.self,
                      HostKeyCommand.self])

    /// The server's config file, read only for its `StateDirectory` keyword.
    @Option(name: .customLong("config"), help: ArgumentHelp("Read the state directory from this batchd.conf(5) file.", valueName: "file"))
    var configFile: String?

    /// The server's state directory.
    @Option(name: .customLong("state"), help: ArgumentHelp("The server's state directory (default \(StateLayout.defaultDirectory)).", valueName: "dir"))
    var stateDirectory: String?

    public init() {}

    public func validate() throws {
        if configFile != nil, stateDirectory != nil {
            throw ValidationError("give --config or --state, not both")
        }
    }
}
