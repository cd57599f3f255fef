import BatchCore

/// What an SFTP handle refers to. Handles are numbers never reused within a
/// channel, so a stale or forged handle finds nothing.
enum SFTPHandle {
    case file(OpenBatch, StagedFile)
    case directory(entries: [SFTPNameEntry], sent: Bool)

    static func encode(_ number: UInt32) -> [UInt8] {
        withUnsafeBytes(of: number.bigEndian) { Array($0) }
    }

    static func decode(_ bytes: [UInt8]) -> UInt32? {
        guard bytes.count == 4 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }
}
