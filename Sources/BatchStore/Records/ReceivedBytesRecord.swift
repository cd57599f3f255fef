import GRDB

/// A row of `received_bytes`: how much of a batch a target got from one node.
struct ReceivedBytesRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "received_bytes"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var batchId: Int64
    var target: String
    var source: String
    var bytes: Int64
}
