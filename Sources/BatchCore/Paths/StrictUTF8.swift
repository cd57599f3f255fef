extension String {
    /// Decodes bytes that must be valid UTF-8, or returns `nil`. Decoding
    /// with repair and comparing the round trip keeps this available on
    /// every platform the package supports (`String(validating:)` is newer).
    init?(strictUTF8 bytes: some Collection<UInt8>) {
        let decoded = String(decoding: bytes, as: UTF8.self)
        guard decoded.utf8.elementsEqual(bytes) else { return nil }
        self = decoded
    }
}
