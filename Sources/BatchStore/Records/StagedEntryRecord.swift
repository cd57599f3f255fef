import GRDB

/// A row of `staged_entries`; `seq` keeps the archive's order. A folder
/// has no `stagingName` and no `size`.
struct StagedEntryRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "staged_entries"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var batchId: Int64
    var seq: Int
    var path: String
    var stagingName: String?
    var size: Int64?
    var mode: Int
    var mtime: Int64

    init(batchId: Int64, seq: Int, entry: StagedEntry) {
        self.batchId = batchId
        self.seq = seq
        path = entry.path
        mode = entry.mode
        mtime = entry.mtime
        switch entry.kind {
        case .directory:
            stagingName = nil
            size = nil
        case .file(let name, let bytes):
            stagingName = name
            size = bytes
        }
    }

    var entry: StagedEntry {
        let kind: StagedEntry.Kind = stagingName.map { .file(stagingName: $0, size: size ?? 0) } ?? .directory
        return StagedEntry(path: path, kind: kind, mode: mode, mtime: mtime)
    }
}
