import Foundation
import GRDB
import Locking

/// The catalogue: users, keys, topics, batches, offers and link history in
/// one SQLite database in WAL mode, the single source of truth a restart
/// resumes from. Several instances (the server and a local `batchctl`) may
/// open the same file at once; each write is one transaction.
public final class Catalogue: Sendable {
    /// How long a writer waits for another process's write lock before
    /// giving up, in seconds.
    static let busyTimeout: TimeInterval = 5

    let pool: DatabasePool

    /// Opens (creating if needed) the catalogue at `path`, creating its
    /// parent directory, and migrates it to the current schema.
    public init(path: String) throws(StoreError) {
        let parent = (path as NSString).deletingLastPathComponent
        do {
            if !parent.isEmpty {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            }
            var configuration = Configuration()
            configuration.busyMode = .timeout(Catalogue.busyTimeout)
            configuration.foreignKeysEnabled = true
            pool = try DatabasePool(path: path, configuration: configuration)
            try CatalogueSchema.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw .cannotOpen(path: path, reason: error.message ?? error.description)
        } catch {
            throw .cannotOpen(path: path, reason: error.localizedDescription)
        }
    }

    /// Whether SQLite finds the database file sound (`PRAGMA integrity_check`).
    public func integrityCheck() throws(StoreError) -> Bool {
        try read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"]
        }
    }

    /// Runs `body` in one write transaction, turning every error into a `StoreError`.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        LoopThread.mayBlock("a catalogue write")
        do {
            return try pool.write(body)
        } catch {
            throw Catalogue.storeError(error)
        }
    }

    /// Runs `body` on a read snapshot, turning every error into a `StoreError`.
    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        LoopThread.mayBlock("a catalogue read")
        do {
            return try pool.read(body)
        } catch {
            throw Catalogue.storeError(error)
        }
    }

    private static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError { return .database(error.message ?? error.description) }
        return .database(String(describing: error))
    }

    /// The current time in Unix seconds, the catalogue's one time format.
    static func now() -> Int64 {
        Int64(Date().timeIntervalSince1970)
    }
}
