import GRDB

/// A row of `batches`.
struct BatchRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "batches"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var id: Int64?
    var source: String
    var destination: String
    var topic: String?
    var state: String
    var size: Int64?
    var sha256: String?
    var archive: String?
    var pieceSize: Int?
    var createdAt: Int64
    var sealedAt: Int64?
    var failure: String?
    var purgedAt: Int64?
    /// Set when the upload finished and the seal began (see `staged_entries`).
    var uploadFinishedAt: Int64?

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
