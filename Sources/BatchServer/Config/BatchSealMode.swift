/// When an open batch seals by itself (batchd.conf(5) `BatchSeal`).
public enum BatchSealMode: String, Sendable, Equatable, CaseIterable {
    /// After the last channel that wrote to it closed and the quiet time passed.
    case auto
    /// Only when the source runs `seal DEST`.
    case explicit
}
