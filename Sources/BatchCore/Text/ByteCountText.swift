import Foundation

/// Byte counts as people read them: in units of 1024 where they meet the
/// config's sizes (`MaxBatchSize 10G` reads back as `10 GiB`), in decimal
/// units where they are amounts and rates on a terminal, as network rates are.
public enum ByteCountText {
    /// `bytes` in the largest binary unit that keeps the number at 1 or
    /// more, with one decimal where it is not whole: `512 bytes`, `4 KiB`,
    /// `1.5 GiB`.
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

    /// `bytes` in decimal units (1 KB = 1000 bytes) with one decimal, or
    /// exact below 1000 bytes: `512 B`, `1.5 MB`, `2.0 GB`.
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB", "PB"]
        var value = Double(bytes)
        var unit = 0
        while abs(value) >= 999.95 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
