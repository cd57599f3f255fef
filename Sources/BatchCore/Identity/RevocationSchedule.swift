/// When the revocation sweep runs, given the directory version at each of
/// its ticks.
///
/// A key can only stop being active when the directory (users, keys,
/// topics) changes, so a tick sweeps only after a change: at the first
/// tick that sees a new version and at the one after it. The second sweep
/// catches a channel authorised against the old version and registered
/// just after the first sweep looked. With nothing changed, a tick costs
/// nothing, however many channels are open.
public struct RevocationSchedule: Sendable, Equatable {
    /// Sweeps owed for each new version.
    public static let sweepsPerChange = 2

    private var version: Int64?
    private var sweepsLeft = 0

    public init() {}

    /// Whether this tick sweeps; `version` is the directory's now.
    public mutating func due(version now: Int64) -> Bool {
        if version != now {
            version = now
            sweepsLeft = Self.sweepsPerChange
        }
        guard sweepsLeft > 0 else { return false }
        sweepsLeft -= 1
        return true
    }
}
