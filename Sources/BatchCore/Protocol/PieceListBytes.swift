/// The piece list as `pieces ID FIRST LAST` sends it: each piece's SHA-256
/// as 32 raw bytes, in order. An offer that leaves its list out names the
/// SHA-256 of these bytes for the whole list (``Offer/pieceListSHA256``).
public enum PieceListBytes {
    /// Bytes per hash on the wire.
    public static let hashLength = 32

    /// `hashes` (lowercase hex, as the catalogue and offers hold them) as
    /// raw bytes; nil if one is not 64 hex digits.
    public static func encode(_ hashes: some Sequence<String>) -> [UInt8]? {
        var bytes: [UInt8] = []
        for hash in hashes {
            let digits = Array(hash.utf8)
            guard digits.count == 2 * hashLength else { return nil }
            for index in stride(from: 0, to: digits.count, by: 2) {
                guard let high = value(of: digits[index]), let low = value(of: digits[index + 1]) else { return nil }
                bytes.append(high << 4 | low)
            }
        }
        return bytes
    }

    /// Raw hashes back to lowercase hex, one string per 32 bytes; nil when
    /// `bytes` is not a whole number of hashes.
    public static func decode(_ bytes: some Collection<UInt8>) -> [String]? {
        guard bytes.count % hashLength == 0 else { return nil }
        let digits = Array("0123456789abcdef".utf8)
        var hashes: [String] = []
        hashes.reserveCapacity(bytes.count / hashLength)
        var text: [UInt8] = []
        text.reserveCapacity(2 * hashLength)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
            if text.count == 2 * hashLength {
                hashes.append(String(decoding: text, as: UTF8.self))
                text.removeAll(keepingCapacity: true)
            }
        }
        return hashes
    }

    private static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: return digit - 0x30
        case 0x61...0x66: return digit - 0x61 + 10
        default: return nil
        }
    }
}
