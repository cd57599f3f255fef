/// How much a delivered archive may unpack to: at most `maxExpansion`
/// times its own size, and never into the last `reserve` bytes of the
/// disk. Each file's size is checked from its header before a byte of it
/// is written, so a small archive of zeros cannot fill the target's disk.
public struct ExtractionLimits: Sendable, Equatable {
    public var maxExpansion: Int
    public var reserve: Int64

    /// 200 times the archive, above what text and logs compress to, and
    /// 64 MiB of the disk always left free.
    public static let standard = ExtractionLimits(maxExpansion: 200, reserve: 64 << 20)

    public init(maxExpansion: Int, reserve: Int64) {
        self.maxExpansion = maxExpansion
        self.reserve = reserve
    }
}
