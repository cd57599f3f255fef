import BatchCore

/// Streaming an entry while its file is still being written, so a large
/// upload is archived as it arrives instead of after it ends.
///
/// A tar header holds the entry's size, which is usually known only at the
/// end: a one-block slot of stored deflate is held for it, written over by
/// `finish`. The slot is never part of any segment's dictionary, so no
/// compressed byte depends on what it holds. When the size is announced
/// before the data (legacy `scp` sends it first), the real header is
/// written at once and no slot is left for `finish`, only the piece
/// digests it defers there. While a streamed
/// entry is open nothing else may be appended.
extension ArchiveWriter {
    /// Starts streaming the regular file at `sourcePath` as the next entry.
    /// Its bytes are archived as `advanceStreamedFile` says they are final.
    public func beginStreamedFile(from sourcePath: String) throws(ArchiveError) {
        try checkOpen()
        try checkNotStreaming()
        let source = try SourceFile(path: sourcePath)
        do {
            try guarded { () throws(ArchiveError) in
                let slot: Segment
                if let empty = current, empty.count == 0 {
                    empty.reset(kind: .stored, after: nil)
                    slot = empty
                } else {
                    slot = try pipeline.obtain(kind: .stored, after: nil)
                    if let full = current { try pipeline.submit(full) }
                }
                slot.isHeaderSlot = true
                _ = [UInt8](repeating: 0, count: TarBlock.size).withUnsafeBytes { slot.append($0) }
                try pipeline.submit(slot)
                // The next segment starts without a dictionary: the slot's
                // bytes will change.
                current = nil
            }
        } catch {
            source.close()
            throw error
        }
        streamed = StreamedFile(source: source)
    }

    /// Starts streaming the regular file at `sourcePath` as the next entry,
    /// whose path, size, mode and mtime are known now: its header is written
    /// at once. `endStreamedFile` must then give the same values.
    ///
    /// The whole archive's SHA-256 is then taken as the data arrives, which
    /// leaves nothing of it for `finish`; the piece digests, which would
    /// take as long again beside the upload, are deferred from here to
    /// `finish`, which hashes the pieces on every core at once.
    public func beginStreamedFile(from sourcePath: String, path: String, size: UInt64, mode: UInt32, mtime: Int64) throws(ArchiveError) {
        try checkOpen()
        try checkNotStreaming()
        try ArchiveWriter.validate(path)
        let source = try SourceFile(path: sourcePath)
        let header = TarHeader(path: path, kind: .regularFile, size: size, mode: mode, mtime: mtime).encode()
        do {
            try guarded { () throws(ArchiveError) in
                try append(header, as: headerKind)
                current?.defersPieces = true
            }
        } catch {
            source.close()
            throw error
        }
        streamed = StreamedFile(source: source, announced: header)
    }

    /// Archives the streamed file's bytes up to `size`, all of which must be
    /// written and final. Until 64 KiB are there, nothing is taken unless
    /// `final`: the first bytes decide whether the data is deflated.
    public func advanceStreamedFile(to size: UInt64, final: Bool = false) throws(ArchiveError) {
        try checkOpen()
        guard var entry = streamed else { throw .noStreamedEntry(path: output.path) }
        try guarded { () throws(ArchiveError) in
            if entry.kind == nil {
                let sample = UInt64(readBuffer.count)
                guard size >= sample || final else { return }
                let wanted = min(sample, size)
                let count = try entry.source.read(into: readBuffer, upTo: wanted)
                guard UInt64(count) == wanted else {
                    throw .sourceShrank(path: entry.source.path, expected: size, actual: UInt64(count))
                }
                let first = UnsafeRawBufferPointer(rebasing: readBuffer[..<count])
                var kind = headerKind
                if level > 0 && !first.isEmpty {
                    kind = try probe.kind(for: first)
                }
                entry.kind = kind
                try append(first, as: kind)
                entry.archived = UInt64(count)
            }
            guard let kind = entry.kind else { return }
            while entry.archived < size {
                // Read straight into the segment: no copy on the way.
                let segment = try room(for: kind)
                let count = try entry.source.read(into: segment.freeSpace, upTo: size - entry.archived)
                guard count > 0 else {
                    throw .sourceShrank(path: entry.source.path, expected: size, actual: entry.archived)
                }
                segment.didFill(count)
                entry.archived += UInt64(count)
            }
        }
        streamed = entry
    }

    /// Ends the streamed entry: its first `size` bytes are archived, then
    /// padding; its header, for `path`, `mode` and `mtime`, is written into
    /// the slot by `finish`. A header that needs more than one block (pax
    /// records for a long path, 8 GiB or more, an mtime out of ustar's
    /// range) throws `streamedHeaderTooLarge` and leaves the archive
    /// unusable: build it again with `appendFile`.
    @discardableResult
    public func endStreamedFile(path: String, size: UInt64, mode: UInt32, mtime: Int64) throws(ArchiveError) -> UInt64 {
        try checkOpen()
        guard let entry = streamed else { throw .noStreamedEntry(path: output.path) }
        try ArchiveWriter.validate(path)
        let header = TarHeader(path: path, kind: .regularFile, size: size, mode: mode, mtime: mtime).encode()
        if let announced = entry.announced, announced != header {
            phase = .failed
            throw .streamedHeaderChanged(entry: path)
        }
        guard entry.announced != nil || header.count == TarBlock.size else {
            phase = .failed
            throw .streamedHeaderTooLarge(entry: path)
        }
        try advanceStreamedFile(to: size, final: true)
        try guarded { () throws(ArchiveError) in
            try append([UInt8](repeating: 0, count: TarBlock.paddingCount(after: size)), as: headerKind)
        }
        streamed?.source.close()
        streamed = nil
        if entry.announced == nil { slotHeaders.append(header) }
        return size
    }
}
