import GRDB

/// A row of `offers`: one batch for one target.
struct OfferRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "offers"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var batchId: Int64
    var target: String
    var state: String
    var reason: String?
    var updatedAt: Int64
}
