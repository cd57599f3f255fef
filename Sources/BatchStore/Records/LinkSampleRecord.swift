import GRDB

/// A row of `link_samples`.
struct LinkSampleRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "link_samples"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var id: Int64?
    var fromNode: String
    var toNode: String
    var throughputBps: Double
    var rttMs: Double
    var at: Int64

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
