import GRDB

/// A row of `batch_files`; `seq` keeps the archive's order.
struct BatchFileRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "batch_files"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var batchId: Int64
    var seq: Int
    var path: String
    var size: Int64
    var mode: Int
    var mtime: Int64
}
