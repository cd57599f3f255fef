/// The byte ranges of a file written so far, so that an upload cut off
/// mid-way can be kept to the part written without a hole (what `reput`
/// then continues from). Writes out of order (pipelined SFTP writes, a
/// client's several requests in flight) coalesce as the gaps fill.
///
/// At most `capacity` separate ranges are kept; past that the highest are
/// forgotten, which only makes `prefix` smaller than it could be, never
/// larger than what was written.
public struct WrittenRanges: Sendable, Equatable {
    /// Sorted, disjoint, non-adjacent half-open ranges.
    public private(set) var ranges: [Range<UInt64>] = []
    public let capacity: Int

    public init(capacity: Int = 1024) {
        self.capacity = max(1, capacity)
    }

    /// Everything from 0 to `size` counts as written (a file reopened whole).
    public init(whole size: UInt64, capacity: Int = 1024) {
        self.init(capacity: capacity)
        if size > 0 { ranges = [0..<size] }
    }

    /// How many bytes from the start are written without a gap.
    public var prefix: UInt64 {
        guard let first = ranges.first, first.lowerBound == 0 else { return 0 }
        return first.upperBound
    }

    /// Records a write of `range`.
    public mutating func insert(_ range: Range<UInt64>) {
        guard !range.isEmpty else { return }
        // The common case, a write at or inside the end of the last range,
        // costs no copy.
        if let last = ranges.last, range.lowerBound >= last.lowerBound, range.lowerBound <= last.upperBound {
            ranges[ranges.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            return
        }
        var merged = range
        var result: [Range<UInt64>] = []
        result.reserveCapacity(ranges.count + 1)
        var placed = false
        for existing in ranges {
            if existing.upperBound < merged.lowerBound {
                result.append(existing)
            } else if merged.upperBound < existing.lowerBound {
                if !placed { result.append(merged); placed = true }
                result.append(existing)
            } else {
                merged = min(existing.lowerBound, merged.lowerBound)..<max(existing.upperBound, merged.upperBound)
            }
        }
        if !placed { result.append(merged) }
        if result.count > capacity { result.removeLast(result.count - capacity) }
        ranges = result
    }

    /// The file was cut to `size`: nothing past it is written.
    public mutating func truncate(to size: UInt64) {
        ranges = ranges.compactMap { range in
            guard range.lowerBound < size else { return nil }
            return range.lowerBound..<min(range.upperBound, size)
        }
    }
}
