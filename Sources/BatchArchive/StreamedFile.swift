/// The entry an `ArchiveWriter` streams while its file is still being
/// written: the file, read as it grows, how much of it is archived, and
/// how its data enters the archive once its first bytes decided it.
struct StreamedFile {
    let source: SourceFile
    /// Bytes of the file already in the archive.
    var archived: UInt64 = 0
    /// Stored or deflated; nil until the first 64 KiB (or the whole file,
    /// if shorter) were probed.
    var kind: Segment.Kind?
    /// The header already written when the entry began, for a file whose
    /// size was announced; nil when a slot holds its place.
    var announced: [UInt8]?
}
