import GRDB

/// A row of `pieces`: one piece hash of an archive.
struct PieceRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "pieces"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var batchId: Int64
    var idx: Int
    var sha256: String
}
