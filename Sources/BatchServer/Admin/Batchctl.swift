import ArgumentParser
import BatchStore

/// Runs `batchctl` command lines, locally on a state directory or inside
/// the server for a remote admin. Exit statuses are listed on `AdminError`:
/// 0 success, 64 usage, 1 refused by the catalogue, and so on.
public enum Batchctl {
    /// Help is wrapped at this width wherever it is shown, since a remote
    /// admin's terminal width is unknown to the server.
    static let helpColumns = 80

    /// batchd's host key when its config names none.
    public static let defaultHostKeyPath = "./keys/ssh_host_ed25519_key"

    /// Runs one command line as the `batchctl` executable does: the state
    /// directory comes from `--state`, the `StateDirectory` of `--config`,
    /// or `defaultStateDirectory`. `output` and `errorOutput` receive text
    /// ready to write, each chunk ending in a newline; `readInput` returns
    /// all of standard input (for `--key -`), or nil when there is none.
    /// `terminalColumns` is the width of the terminal standard error is,
    /// where long commands draw a progress bar; nil when it is no terminal.
    public static func run(
        arguments: [String],
        defaultStateDirectory: String = StateLayout.defaultDirectory,
        terminalColumns: Int? = nil,
        readInput: @escaping () -> String? = { nil },
        output: @escaping (String) -> Void,
        errorOutput: @escaping (String) -> Void
    ) -> Int32 {
        execute(arguments: arguments, output: output, errorOutput: errorOutput) { root throws(AdminError) in
            var directory = defaultStateDirectory
            if let state = root.stateDirectory {
                directory = state
            } else if let config = root.configFile, let configured = try stateDirectory(fromConfig: config) {
                directory = configured
            }
            let layout = StateLayout(directory: directory)
            let catalogue: Catalogue
            do throws(StoreError) {
                catalogue = try Catalogue(path: layout.catalogue)
            } catch {
                throw .store(error)
            }
            var hostKey = defaultHostKeyPath
            if let config = root.configFile, let configured = try value(of: "HostKey", inConfig: config) {
                hostKey = configured
            }
            let topicRules = { () throws(AdminError) -> TopicRules in
                guard let config = root.configFile else { return TopicRules() }
                return try configuration(fromFile: config).topics
            }
            let progress = terminalColumns.map { ProgressDisplay(columns: $0, write: errorOutput) }
            return AdminContext(catalogue: catalogue, layout: layout, isRemote: false, hostKeyPath: hostKey,
                                topicRules: topicRules, progress: progress, output: output, readInput: readInput)
        }
    }

    /// Runs one command line for a remote admin on the server's own
    /// catalogue. `--config` and `--state` are refused (exit 64), and so
    /// are key files: `--key -` reads the keys from `readInput`.
    public static func runRemote(
        arguments: [String],
        catalogue: Catalogue,
        layout: StateLayout,
        hostKeyPath: String? = nil,
        topicRules: TopicRules = TopicRules(),
        readInput: @escaping () -> String? = { nil },
        output: @escaping (String) -> Void,
        errorOutput: @escaping (String) -> Void
    ) -> Int32 {
        execute(arguments: arguments, output: output, errorOutput: errorOutput) { root throws(AdminError) in
            if root.configFile != nil || root.stateDirectory != nil {
                throw .usage("--config and --state are not accepted over ssh; the server uses its own state")
            }
            return AdminContext(catalogue: catalogue, layout: layout, isRemote: true, hostKeyPath: hostKeyPath,
                                topicRules: { topicRules }, output: output, readInput: readInput)
        }
    }

    private static func execute(
        arguments: [String],
        output: (String) -> Void,
        errorOutput: (String) -> Void,
        makeContext: (BatchctlCommand) throws(AdminError) -> AdminContext
    ) -> Int32 {
        let parsed: ParsableCommand
        do {
            parsed = try BatchctlCommand.parseAsRoot(arguments)
            // `help` parses as a command of the parser's own whose run()
            // throws the help request; let it, and report it below.
            if !(parsed is AdminCommand), type(of: parsed).configuration.subcommands.isEmpty {
                var helpRequest = parsed
                try helpRequest.run()
            }
        } catch {
            let status = BatchctlCommand.exitCode(for: error)
            if status == .success {
                output(BatchctlCommand.fullMessage(for: error, columns: helpColumns) + "\n")
                return 0
            }
            errorOutput("batchctl: " + oneLine(BatchctlCommand.message(for: error)) + "\n")
            return 64
        }
        do throws(AdminError) {
            guard let command = parsed as? AdminCommand else {
                throw .usage(missingSubcommand(type(of: parsed)))
            }
            try command.run(context: try makeContext(command.root))
            return 0
        } catch {
            errorOutput("batchctl: " + oneLine(error.description) + "\n")
            return error.exitCode
        }
    }

    private static func missingSubcommand(_ command: ParsableCommand.Type) -> String {
        let choices = command.configuration.subcommands.map { $0._commandName }
        return "\(command._commandName) needs a subcommand: " + choices.joined(separator: ", ")
    }

    /// The first line of a message, without the parser's "Error: " prefix,
    /// so every failure is exactly one line.
    private static func oneLine(_ message: String) -> String {
        var line = message.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? "failed"
        if line.hasPrefix("Error: ") { line.removeFirst("Error: ".count) }
        return line.trimmingCharacters(in: .whitespaces)
    }
}
