import Crypto
import Foundation

/// Lowercase hex SHA-256, computed independently of the code under test.
func sha256Hex<Bytes: DataProtocol>(_ bytes: Bytes) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}
