/// Byte counts as people read them in messages: `512 bytes`, `4 KiB`,
/// `1.5 GiB` (units of 1024, as the config's K, M, G and T).
public enum ByteCountText {
    /// `bytes` in the largest unit that keeps the number at 1 or more,
    /// with one decimal where it is not whole.
    public static func describe(_ bytes: Int64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB"]
        guard bytes >= 1024 || bytes <= -1024 else { return bytes == 1 ? "1 byte" : "\(bytes) bytes" }
        var value = Double(bytes) / 1024
        var unit = 0
        while abs(value) >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = (value * 10).rounded()
        let number = tenths.truncatingRemainder(dividingBy: 10) == 0 ? String(Int64(tenths / 10)) : String(tenths / 10)
        return "\(number) \(units[unit])"
    }
}
