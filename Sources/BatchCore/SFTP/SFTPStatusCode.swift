/// SFTP v3 status codes (draft-ietf-secsh-filexfer-02, section 7).
public enum SFTPStatusCode: UInt32, Sendable, Hashable, CaseIterable {
    case ok = 0
    case eof = 1
    case noSuchFile = 2
    case permissionDenied = 3
    case failure = 4
    case badMessage = 5
    case noConnection = 6
    case connectionLost = 7
    case opUnsupported = 8
}
