import Foundation
import Testing
import BatchCore

// Public halves of keys made with ssh-keygen (OpenSSH 9) for these tests.
private let ed25519Line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN2n5D+Dm8rXPOjD45j/2fzX/DRQKiLZdsBl0+fw0vum alice@laptop"
private let p256Line = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBI/wJO53xiI2FaeP46flXLwwKfK/RoWIljDcW072TAe+6SGLYLD2ynj8XGhaNKmQV+Nr+RZSGsWXaB7rANIaTZQ= p256"
private let p384Line = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBM7EObzJZSk2xkn/W0Bww6k3GJI1yEqAVDdoI0bPtCvmrPAbWuq+1ptU6vk66mA/razIR3FzmEtXrZBWURluPNExfqSjI7W3hTmhdW1wgE145+tSXpaQohkvUyUn6+L+MQ== p384"
private let p521Line = "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAApVwGy/W8iayLTfGH/YWidtNOq0Y/532BF/4hv8i7TvnDni0sLB5BdL5+ITjAXITiwvbFC41YYcKpCRfJ4jAHlBACBjcc+0v1B4hGs9qMt69AzfS/mZ6dY0pPUPpPpjuL+yOiexsSDIiNFLa7l6KiGFl6vND6Hj1BxDGVkIGny4XLhzA== p521"
private let rsa1024Line = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDCrGqKMCcSjXbyZQF8jB4oA7JNngYeKEaVgyh1y+WU9vgQJwv/XOr+RGwdi1IIbublYebGki8aUgkYK/1JiuZgKtv6lX8LkyVMtk1Ot4iNyGzbKC+L9A7ptm3+tNN5FQ7GiNuU/4FdX5lJn9vsYtuunZX0B+6HfMXR1QyrI4yI4Q== rsa1024"
private let rsa2048Line = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCXdtf+mnROxBQZ+Vsc/iugVlYgMUo6CbGh36hwBDSuThIG3Y35/zB0kxMR/sdTSJU7i9Zy2R8fnmqDn2dmrFD62q1lsdmcIv/QnEMmmovBqUYxeqqByK/pj5FXuJyncCWAF9Os5GL/IWmsA+U7w5OwVxoylDXxl3e9tKzBGK1n/e6mECqrSQZXKVK1KenEXZ+IRM6I2B6NRjlaRUSpxHjdRpJqm6RQQGg/zLGGXTIVnQoBN/upcxahFu5HcJVlwjpXjmTjAoHRJt4R8s8jpbSOOWiJYs776qKMwbel755zCqXxgx1FA1HYq64UQQEweQLrXacE4do4pFCYKYOO6ral rsa2048"
private let rsa3072Line = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQDCeiPL7cRZMCasazc5c0qhpO1dDLmBUjJt2RfQFWEAwSowZvxjBxxZNCExbuwmwGl5MYOXtMjZyv1ry1b6LjmDQ2bbTpgoLR+aQyndTSvDUevoTTdokA0hY2fH3pTw83gH6RsGkUF2TqlgOlg4lJoQe/+RmOPwc1b4IFyTumpZDmoD0PX4cViAbAfX1HuDwYbxTEVCg4AgPF/e5wBq1ukBw/JyKdKJFf92RvRv4AEWDGF50Jo51oMzKF33oUySyq4/l3grr4kCzDuyWj5oRNUhHgtVjM6wz0Sq0bLNhVhj14eno6Zm6Mxnq6KdNGj4XPjeN3ndDeIODz1PBvisoWF128B9ILH5jeQn61anjHETSVH3b9t/5Tkxte2CgIy9M+jnv+sMgNfev1QoX+U4+9KM6Q8jYXgb/5z64h7vbJgUHnuOIl7YFWfvThQhEI6/higHwsdApqt8dLUtjWdOJngIhdJde7eE6JhVxlSQfVcpeIOQOIYwHrf2J/+0S4xEx60= rsa3072 key"
private let dsaLine = "ssh-dss AAAAB3NzaC1kc3MAAACBAOVgCTghcy3JIwNUlM+IV1bwyUtGzEqShRHHUl7F0B/8vgFvZrzAHKxdWC3Tvsdq7ZmjTCnar1OOSTYRB9RqPdiFKa66ToIgo2Vekx6SaQPIjeLE0rP+31chkZHbP5xTrjQISQxpkeViFzU+oGIsfliNNbYyIhWigizIMZgp8F2zAAAAFQDycUQY4p2KQ5s03Mgj5WbAxiqJ+QAAAIA96XLsv/qhgGGI457/PilyihtTeMc/R7DOO+8n3VqQAw31YD2fFPyvXS96h/JB9TeHZLXClbnl83+j4W9bFy/xHxZ4nPr1LYQmEE98VZDGvpX5L/FY0hWA+LSLCNLb21YHDmIrQy/xa8y5tddiPI8ThAcREeLgWQMdSP8WlJAa5AAAAIAtKFzELKEOjSNKNA2Al9pTCU5CrQMcoZd5MDJnQpFLP1VNkx/0NhYN+JjYTxIihJcWxJYqLb0PfouqJW1mgfJ+3GKaUuBz7sBD7rskitFRF0dFntlTg6t5byzXbOovA0JkVCLdmkQvfOfI9SP0NKTlnccpbB0LRzGRBd4F0OccbA== root@vm"

/// An SSH wire `string`, for building blobs by hand.
private func wire(_ bytes: [UInt8]) -> [UInt8] {
    let n = UInt32(bytes.count)
    return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + bytes
}
private func wire(_ text: String) -> [UInt8] { wire(Array(text.utf8)) }
private func base64(_ blob: [UInt8]) -> String { Data(blob).base64EncodedString() }

/// authorized_keys parsing: the key types batchd accepts and the ones it refuses.
@Suite struct AuthorizedKeyTests {
    // MARK: - Accepted keys

    @Test func ed25519KeyParses() throws {
        let key = try AuthorizedKey(line: ed25519Line)
        #expect(key.type == .ed25519)
        #expect(key.bits == 256)
        #expect(key.comment == "alice@laptop")
        #expect(key.blob.count == 51)
        #expect(key.base64 == "AAAAC3NzaC1lZDI1NTE5AAAAIN2n5D+Dm8rXPOjD45j/2fzX/DRQKiLZdsBl0+fw0vum")
        #expect(key.line == ed25519Line)
    }

    @Test func ecdsaKeysReportTheirCurveSize() throws {
        #expect(try AuthorizedKey(line: p256Line).bits == 256)
        #expect(try AuthorizedKey(line: p256Line).type == .ecdsaP256)
        #expect(try AuthorizedKey(line: p384Line).bits == 384)
        #expect(try AuthorizedKey(line: p384Line).type == .ecdsaP384)
        #expect(try AuthorizedKey(line: p521Line).bits == 521)
        #expect(try AuthorizedKey(line: p521Line).type == .ecdsaP521)
    }

    @Test func rsaKeysReportTheirModulusSize() throws {
        #expect(try AuthorizedKey(line: rsa2048Line).bits == 2048)
        let rsa3072 = try AuthorizedKey(line: rsa3072Line)
        #expect(rsa3072.bits == 3072)
        #expect(rsa3072.comment == "rsa3072 key")
    }

    @Test func commentIsOptionalAndKeepsInnerSpacing() throws {
        let bare = try AuthorizedKey(line: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN2n5D+Dm8rXPOjD45j/2fzX/DRQKiLZdsBl0+fw0vum")
        #expect(bare.comment == "")
        #expect(bare.line == "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN2n5D+Dm8rXPOjD45j/2fzX/DRQKiLZdsBl0+fw0vum")
        let spaced = try AuthorizedKey(line: "  ssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAIN2n5D+Dm8rXPOjD45j/2fzX/DRQKiLZdsBl0+fw0vum   my  key \r\n")
        #expect(spaced.comment == "my  key")
    }

    // MARK: - Refused keys

    @Test func smallRSAKeyIsRefusedNamingItsSize() throws {
        #expect(throws: KeyError.rsaTooSmall(bits: 1024)) { try AuthorizedKey(line: rsa1024Line) }
        #expect(KeyError.rsaTooSmall(bits: 1024).description.contains("1024 bits"))
    }

    @Test func dsaKeyIsRefused() {
        #expect(throws: KeyError.unsupportedType("ssh-dss", reason: "DSA is obsolete and disabled in OpenSSH")) {
            try AuthorizedKey(line: dsaLine)
        }
    }

    @Test func securityKeysAreRefused() {
        let blob = wire("sk-ssh-ed25519@openssh.com") + wire([UInt8](repeating: 1, count: 32)) + wire("ssh:")
        #expect(throws: KeyError.unsupportedType("sk-ssh-ed25519@openssh.com", reason: "security-key (FIDO) keys are not supported")) {
            try AuthorizedKey(line: "sk-ssh-ed25519@openssh.com \(base64(blob)) yubi")
        }
        #expect(throws: KeyError.self) { try AuthorizedKey(line: "sk-ecdsa-sha2-nistp256@openssh.com AAAA") }
    }

    @Test func certificatesAreRefused() {
        #expect(throws: KeyError.unsupportedType("ssh-ed25519-cert-v01@openssh.com", reason: "certificates are not supported, add the plain public key")) {
            try AuthorizedKey(line: "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIAZwKLoOcxJc1PKA alice")
        }
    }

    @Test func optionsBeforeTheTypeAreRefused() {
        #expect(throws: KeyError.optionsNotSupported("from=\"10.0.0.0/8\",no-pty")) {
            try AuthorizedKey(line: "from=\"10.0.0.0/8\",no-pty " + ed25519Line)
        }
        #expect(throws: KeyError.optionsNotSupported("restrict")) { try AuthorizedKey(line: "restrict " + rsa2048Line) }
    }

    @Test func unknownFirstWordIsRefused() {
        #expect(throws: KeyError.unknownType("hello")) { try AuthorizedKey(line: "hello world") }
    }

    @Test func blankAndCommentLinesHoldNoKey() {
        #expect(throws: KeyError.empty) { try AuthorizedKey(line: "") }
        #expect(throws: KeyError.empty) { try AuthorizedKey(line: "   \t") }
        #expect(throws: KeyError.empty) { try AuthorizedKey(line: "# ssh-ed25519 AAAA") }
    }

    @Test func missingOrBadBase64IsRefused() {
        #expect(throws: KeyError.missingKeyData) { try AuthorizedKey(line: "ssh-ed25519") }
        #expect(throws: KeyError.badBase64) { try AuthorizedKey(line: "ssh-ed25519 not*base64 x") }
        #expect(throws: KeyError.badBase64) { try AuthorizedKey(line: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN2n5D+Dm8rXPOjD45j/2fzX/DRQKiLZdsBl0+fw0vu") }
    }

    @Test func embeddedTypeMustMatchTheWrittenType() {
        let ed25519Base64 = "AAAAC3NzaC1lZDI1NTE5AAAAIN2n5D+Dm8rXPOjD45j/2fzX/DRQKiLZdsBl0+fw0vum"
        #expect(throws: KeyError.typeMismatch(declared: "ssh-rsa", embedded: "ssh-ed25519")) {
            try AuthorizedKey(line: "ssh-rsa \(ed25519Base64)")
        }
    }

    @Test func ed25519KeyOfWrongLengthIsRefused() {
        let blob = wire("ssh-ed25519") + wire([UInt8](repeating: 7, count: 31))
        #expect(throws: KeyError.malformedKey("an ed25519 key is 32 bytes")) { try AuthorizedKey(line: "ssh-ed25519 \(base64(blob))") }
    }

    @Test func truncatedBlobIsRefused() {
        let blob = Array((wire("ssh-ed25519") + wire([UInt8](repeating: 7, count: 32))).dropLast(5))
        #expect(throws: KeyError.malformedKey("it ends inside the ed25519 key")) { try AuthorizedKey(line: "ssh-ed25519 \(base64(blob))") }
        #expect(throws: KeyError.malformedKey("it ends inside the key type")) { try AuthorizedKey(line: "ssh-ed25519 \(base64([0, 0, 0xFF, 0xFF, 1]))") }
    }

    @Test func trailingBytesInBlobAreRefused() {
        let blob = wire("ssh-ed25519") + wire([UInt8](repeating: 7, count: 32)) + [0]
        #expect(throws: KeyError.malformedKey("unexpected bytes after the key")) { try AuthorizedKey(line: "ssh-ed25519 \(base64(blob))") }
    }

    @Test func ecdsaCurveMustMatchItsType() {
        let point = [0x04] + [UInt8](repeating: 9, count: 64)
        let blob = wire("ecdsa-sha2-nistp256") + wire("nistp384") + wire(point)
        #expect(throws: KeyError.malformedKey("curve nistp384 does not match ecdsa-sha2-nistp256")) {
            try AuthorizedKey(line: "ecdsa-sha2-nistp256 \(base64(blob))")
        }
    }

    @Test func ecdsaPointMustBeUncompressedAndOfCurveSize() {
        let compressed = wire("ecdsa-sha2-nistp256") + wire("nistp256") + wire([0x02] + [UInt8](repeating: 9, count: 32))
        #expect(throws: KeyError.self) { try AuthorizedKey(line: "ecdsa-sha2-nistp256 \(base64(compressed))") }
        let wrongPrefix = wire("ecdsa-sha2-nistp256") + wire("nistp256") + wire([0x05] + [UInt8](repeating: 9, count: 64))
        #expect(throws: KeyError.self) { try AuthorizedKey(line: "ecdsa-sha2-nistp256 \(base64(wrongPrefix))") }
    }

    @Test func rsaModulusSizeIgnoresTheSignPaddingByte() throws {
        // A 2048-bit modulus is sent as 257 bytes: a zero, then a byte with
        // its top bit set.
        let modulus = [0x00, 0x80] + [UInt8](repeating: 0x01, count: 254) + [0x01]
        let blob = wire("ssh-rsa") + wire([0x01, 0x00, 0x01]) + wire(modulus)
        #expect(try AuthorizedKey(line: "ssh-rsa \(base64(blob))").bits == 2048)
        // One bit fewer is refused.
        let small = [0x7F] + [UInt8](repeating: 0xFF, count: 255)
        #expect(throws: KeyError.rsaTooSmall(bits: 2047)) {
            try AuthorizedKey(line: "ssh-rsa \(base64(wire("ssh-rsa") + wire([0x01, 0x00, 0x01]) + wire(small)))")
        }
    }

    @Test func rsaWithNegativeOrEvenNumbersIsRefused() {
        let modulus = [0x00] + [UInt8](repeating: 0xFF, count: 256)
        let negativeModulus = wire("ssh-rsa") + wire([0x03]) + wire([UInt8](repeating: 0xFF, count: 256))
        #expect(throws: KeyError.malformedKey("the RSA modulus is not a positive number")) {
            try AuthorizedKey(line: "ssh-rsa \(base64(negativeModulus))")
        }
        let evenExponent = wire("ssh-rsa") + wire([0x04]) + wire(modulus)
        #expect(throws: KeyError.malformedKey("the RSA exponent must be an odd number above 1")) {
            try AuthorizedKey(line: "ssh-rsa \(base64(evenExponent))")
        }
    }

    // MARK: - Files

    @Test func fileSkipsBlankLinesAndComments() throws {
        let text = "# team keys\n\n\(ed25519Line)\n   \n\(p256Line)\r\n# old:\n\(rsa3072Line)\n"
        let keys = try AuthorizedKey.parseFile(text)
        #expect(keys.map(\.type) == [.ed25519, .ecdsaP256, .rsa])
        #expect(keys.map(\.comment) == ["alice@laptop", "p256", "rsa3072 key"])
    }

    @Test func fileReportsTheLineNumberOfABadLine() {
        let text = "\(ed25519Line)\n# comment\n\(rsa1024Line)\n"
        #expect(throws: KeyError.onLine(3, .rsaTooSmall(bits: 1024))) { try AuthorizedKey.parseFile(text) }
        #expect(KeyError.onLine(3, .rsaTooSmall(bits: 1024)).description.hasPrefix("line 3: RSA key of 1024 bits"))
    }

    @Test func emptyFileHoldsNoKeys() throws {
        #expect(try AuthorizedKey.parseFile("").isEmpty)
        #expect(try AuthorizedKey.parseFile("# nothing yet\n").isEmpty)
    }

    @Test func sameKeyWithOtherCommentHasTheSameBlob() throws {
        let a = try AuthorizedKey(line: ed25519Line)
        let b = try AuthorizedKey(line: ed25519Line.replacingOccurrences(of: "alice@laptop", with: "other"))
        #expect(a.blob == b.blob)
        #expect(a != b)
    }
}
