import GRDB

/// A row of `offer_events`, the append-only delivery history.
struct OfferEventRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "offer_events"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var id: Int64?
    var batchId: Int64
    var target: String
    var event: String
    var detail: String?
    var at: Int64

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
