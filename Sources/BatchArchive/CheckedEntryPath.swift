import BatchCore

/// An archive entry's path once extraction has accepted it: relative, with no
/// `..` component, and with `.` and empty components dropped. libarchive's
/// own `..` check runs as well; this one runs first so the refusal names the
/// entry as the archive spells it.
struct CheckedEntryPath: Equatable {
    /// The kept components joined by `/`; empty when the entry names the
    /// archive's root itself, as `./` does in `tar -C dir .` output.
    let relative: String

    /// Checks `raw`, the path as stored in the archive.
    init(_ raw: String) throws(ExtractionError) {
        guard !raw.isEmpty else { throw .unnamedEntry }
        guard !raw.hasPrefix("/") else { throw .absoluteEntry(raw) }
        let components = PathComponents.split(raw)
        guard !components.contains("..") else { throw .entryLeavesFolder(raw) }
        relative = components.filter { $0 != "." }.joined(separator: "/")
    }
}
