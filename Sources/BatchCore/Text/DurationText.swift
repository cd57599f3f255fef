/// Durations as config files spell them and people read them: `45s`,
/// `90m`, `36h`, `7d`, `2w`, in the largest unit that divides them.
public enum DurationText {
    /// `seconds` in the largest of w, d, h, m and s that divides it.
    public static func describe(_ seconds: Int) -> String {
        for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60)] where seconds >= size && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}
