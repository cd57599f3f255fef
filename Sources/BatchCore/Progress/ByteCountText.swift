import Foundation

/// Byte counts as people read them on a terminal: `512 B`, `1.5 MB`,
/// `2.0 GB`, in decimal units (1 KB = 1000 bytes) as network rates are.
public enum ByteCountText {
    /// `bytes` with one decimal and a unit, or exact below 1000 bytes.
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
