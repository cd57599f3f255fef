import CZlib

/// A gzip compressor: one zlib `z_stream`, owned here and freed exactly once.
/// Compressed output is handed to a sink closure in chunks, so no zlib
/// pointer ever leaves this class.
///
/// Not thread-safe: use it from one thread or serial queue at a time.
public final class GzipDeflater {
    /// Receives compressed bytes; the buffer is valid only during the call.
    public typealias Sink = (UnsafeRawBufferPointer) throws(ArchiveError) -> Void

    /// The level new input is compressed at.
    public private(set) var level: Int32

    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableBufferPointer<UInt8>

    /// zlib counts input in `UInt32`, so larger buffers are fed in slices.
    private static let maxInputSlice = 1 << 30

    /// Starts a gzip stream compressing at `level` (0 stores, 9 is smallest),
    /// or by Huffman coding alone, without looking for repeated strings.
    /// `outputCapacity` is the size of the chunks handed to sinks.
    public init(level: Int32, huffmanOnly: Bool = false, outputCapacity: Int = 256 << 10) throws(ArchiveError) {
        guard (0...9).contains(level) else { throw .invalidLevel(level) }
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code = batchd_deflate_init_gzip(stream, level, huffmanOnly ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY)
        guard code == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw .compressionFailed(code: code, message: "cannot start a gzip stream")
        }
        output = .allocate(capacity: max(outputCapacity, 4096))
        self.level = level
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    /// Compresses `bytes`, handing any output zlib produces to `sink`. zlib
    /// may hold input back until later calls or `finish`.
    public func deflate(_ bytes: UnsafeRawBufferPointer, into sink: Sink) throws(ArchiveError) {
        var offset = 0
        while offset < bytes.count {
            let slice = min(bytes.count - offset, GzipDeflater.maxInputSlice)
            try run(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + slice)]), flush: Z_NO_FLUSH, into: sink)
            offset += slice
        }
    }

    /// Switches the compression level for the input that follows; a no-op
    /// when the level is unchanged. zlib ends the current deflate block
    /// first, so the output written so far goes to `sink`.
    public func setLevel(_ newLevel: Int32, into sink: Sink) throws(ArchiveError) {
        guard (0...9).contains(newLevel) else { throw .invalidLevel(newLevel) }
        guard newLevel != level else { return }
        while true {
            // deflateParams needs room to flush its pending block: drain with
            // Z_BLOCK until zlib stops filling the buffer (zlib.h, deflateParams).
            try run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_BLOCK, into: sink)
            prepareOutput()
            let code = deflateParams(stream, newLevel, Z_DEFAULT_STRATEGY)
            try emit(into: sink)
            if code == Z_OK { break }
            guard code == Z_BUF_ERROR else {
                throw .compressionFailed(code: code, message: "cannot change the compression level to \(newLevel)")
            }
        }
        level = newLevel
    }

    /// Compresses whatever input is still pending and writes the gzip trailer
    /// (CRC-32 and length). The stream then accepts no input until `reset`.
    public func finish(into sink: Sink) throws(ArchiveError) {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH, into: sink)
    }

    /// Starts a new gzip stream at the current level, discarding any state.
    public func reset() throws(ArchiveError) {
        let code = deflateReset(stream)
        guard code == Z_OK else { throw .compressionFailed(code: code, message: "cannot reset the gzip stream") }
    }

    /// Calls zlib's deflate until it has consumed `input` and, for a flush,
    /// has nothing more to write.
    private func run(_ input: UnsafeRawBufferPointer, flush: Int32, into sink: Sink) throws(ArchiveError) {
        stream.pointee.next_in = input.baseAddress.map {
            UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self))
        }
        stream.pointee.avail_in = UInt32(input.count)
        // Never leave zlib pointing into the caller's memory.
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        while true {
            prepareOutput()
            let code = CZlib.deflate(stream, flush)
            switch code {
            case Z_OK, Z_BUF_ERROR, Z_STREAM_END:
                break
            default:
                throw .compressionFailed(code: code, message: GzipDeflater.message(stream, code))
            }
            let filled = stream.pointee.avail_out == 0
            try emit(into: sink)
            // Z_BUF_ERROR means no progress was possible: all input is in and
            // the requested flush is complete.
            if code == Z_STREAM_END || code == Z_BUF_ERROR { return }
            if stream.pointee.avail_in == 0 && !filled && flush != Z_FINISH { return }
        }
    }

    private func prepareOutput() {
        stream.pointee.next_out = output.baseAddress
        stream.pointee.avail_out = UInt32(output.count)
    }

    private func emit(into sink: Sink) throws(ArchiveError) {
        let produced = output.count - Int(stream.pointee.avail_out)
        stream.pointee.next_out = nil
        stream.pointee.avail_out = 0
        if produced > 0 {
            try sink(UnsafeRawBufferPointer(start: output.baseAddress, count: produced))
        }
    }

    private static func message(_ stream: UnsafeMutablePointer<z_stream>, _ code: Int32) -> String {
        if let text = stream.pointee.msg {
            return String(cString: text)
        }
        return String(cString: zError(code))
    }
}
