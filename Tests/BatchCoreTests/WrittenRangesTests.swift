import BatchCore
import Testing

/// What a cut-off upload keeps: the bytes written from the start without a gap.
@Suite struct WrittenRangesTests {
    @Test func inOrderWritesMakeOnePrefix() {
        var ranges = WrittenRanges()
        ranges.insert(0..<10)
        ranges.insert(10..<25)
        #expect(ranges.prefix == 25)
        #expect(ranges.ranges == [0..<25])
    }

    @Test func aGapStopsThePrefixUntilItIsFilled() {
        var ranges = WrittenRanges()
        ranges.insert(0..<10)
        ranges.insert(20..<30)
        ranges.insert(40..<50)
        #expect(ranges.prefix == 10)
        ranges.insert(10..<20)
        #expect(ranges.prefix == 30)
        ranges.insert(25..<45)
        #expect(ranges.prefix == 50)
        #expect(ranges.ranges == [0..<50])
    }

    @Test func nothingWrittenAtTheStartMeansNoPrefix() {
        var ranges = WrittenRanges()
        ranges.insert(5..<10)
        #expect(ranges.prefix == 0)
        ranges.insert(0..<0)
        #expect(ranges.prefix == 0)
    }

    @Test func truncationCutsTheRanges() {
        var ranges = WrittenRanges(whole: 100)
        ranges.insert(200..<300)
        ranges.truncate(to: 50)
        #expect(ranges.ranges == [0..<50])
        #expect(ranges.prefix == 50)
    }

    @Test func pastItsCapacityItForgetsTheHighestRangesAndNeverClaimsMore() {
        var ranges = WrittenRanges(capacity: 4)
        for start in stride(from: UInt64(10), to: 200, by: 10) { ranges.insert(start..<start + 5) }
        #expect(ranges.ranges.count == 4)
        ranges.insert(0..<10)
        // Only what it still knows joins the prefix: 0..<15, then a gap.
        #expect(ranges.prefix == 15)
        #expect(ranges.ranges.count <= 4)
    }
}
