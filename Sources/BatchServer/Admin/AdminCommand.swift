import ArgumentParser

/// A `batchctl` command that does its work through an `AdminContext`
/// instead of printing, so the same command runs in the `batchctl`
/// executable and inside the server for `ssh admin@host batchctl …`.
public protocol AdminCommand: ParsableCommand {
    /// The root command as parsed, for its global options; each command
    /// declares it as `@ParentCommand var root: BatchctlCommand`.
    var root: BatchctlCommand { get }

    /// Performs the command against the context's catalogue, writing its
    /// output to the context.
    func run(context: AdminContext) throws(AdminError)
}
