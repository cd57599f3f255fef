import GRDB

/// A row of `keys`.
struct KeyRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "keys"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var id: Int64?
    var userId: Int64
    var type: String
    var base64: String
    var comment: String
    var fingerprint: String
    var bits: Int
    var createdAt: Int64
    var revokedAt: Int64?

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
