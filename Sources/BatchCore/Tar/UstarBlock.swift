/// One 512-byte ustar header block (POSIX.1-1988 layout, `ustar\0` magic,
/// version `00`), with its checksum computed.
struct UstarBlock {
    var name: UstarName
    var typeflag: UInt8
    var size: UInt64
    var mode: UInt32
    var mtime: UInt64

    /// Byte offsets and widths of the ustar fields.
    private enum Field {
        static let name = (offset: 0, width: 100)
        static let mode = (offset: 100, width: 8)
        static let uid = (offset: 108, width: 8)
        static let gid = (offset: 116, width: 8)
        static let size = (offset: 124, width: 12)
        static let mtime = (offset: 136, width: 12)
        static let checksum = (offset: 148, width: 8)
        static let typeflag = 156
        static let magic = 257
        static let devmajor = (offset: 329, width: 8)
        static let devminor = (offset: 337, width: 8)
        static let prefix = (offset: 345, width: 155)
    }

    var bytes: [UInt8] {
        var block = [UInt8](repeating: 0, count: TarBlock.size)
        block.replaceSubrange(Field.name.offset..<(Field.name.offset + name.name.count), with: name.name)
        put(octal: UInt64(mode), in: Field.mode, of: &block)
        put(octal: 0, in: Field.uid, of: &block)
        put(octal: 0, in: Field.gid, of: &block)
        put(octal: size, in: Field.size, of: &block)
        put(octal: mtime, in: Field.mtime, of: &block)
        block[Field.typeflag] = typeflag
        // "ustar\0" then version "00": the POSIX spelling, which GNU tar and
        // libarchive both read as ustar/pax rather than old GNU format.
        block.replaceSubrange(Field.magic..<(Field.magic + 8), with: Array("ustar\u{0}00".utf8))
        put(octal: 0, in: Field.devmajor, of: &block)
        put(octal: 0, in: Field.devminor, of: &block)
        block.replaceSubrange(Field.prefix.offset..<(Field.prefix.offset + name.prefix.count), with: name.prefix)

        // The checksum is the byte sum with the checksum field read as eight
        // spaces, stored as six octal digits, a NUL and a space.
        for index in Field.checksum.offset..<(Field.checksum.offset + Field.checksum.width) {
            block[index] = UInt8(ascii: " ")
        }
        let sum = block.reduce(0) { $0 + UInt64($1) }
        put(octal: sum, in: (Field.checksum.offset, 7), of: &block)
        return block
    }

    /// Writes `value` as zero-padded octal digits filling all but the last
    /// byte of the field, which stays NUL. Callers keep values in range.
    private func put(octal value: UInt64, in field: (offset: Int, width: Int), of block: inout [UInt8]) {
        var rest = value
        var index = field.offset + field.width - 2
        while index >= field.offset {
            block[index] = UInt8(ascii: "0") + UInt8(rest & 7)
            rest >>= 3
            index -= 1
        }
        block[field.offset + field.width - 1] = 0
    }
}
