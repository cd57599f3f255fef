/// Where the server keeps its state under one directory: the catalogue
/// database, the staging area for uploads in progress, and the archives.
public struct StateLayout: Sendable, Equatable {
    /// The state directory used when neither a config file nor `--state` names one.
    public static let defaultDirectory = "./var/batchd"

    /// The state directory itself.
    public var directory: String

    /// Describes the layout under `directory`.
    public init(directory: String = StateLayout.defaultDirectory) {
        self.directory = directory
    }

    /// The SQLite catalogue file.
    public var catalogue: String { join("catalogue.db") }
    /// Uploads in progress, one folder per open batch.
    public var staging: String { join("staging") }
    /// Sealed archives, `ID.tar.gz`.
    public var archives: String { join("archives") }

    /// The archive file of batch `id`.
    public func archive(batch id: Int64) -> String {
        archives + "/\(id).tar.gz"
    }

    private func join(_ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
