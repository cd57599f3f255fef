import BatchCore
import Testing

@Suite struct TextFormatTests {
    static let byteCases: [(Int64, String)] = [
        (0, "0 bytes"), (1, "1 byte"), (1023, "1023 bytes"), (1024, "1 KiB"), (1536, "1.5 KiB"),
        (60_000, "58.6 KiB"), (100 << 10, "100 KiB"), (10 << 20, "10 MiB"), (1 << 30, "1 GiB"), (5 << 40, "5 TiB"),
        (3 << 29, "1.5 GiB"),
    ]

    static let durationCases: [(Int, String)] = [
        (0, "0s"), (1, "1s"), (59, "59s"), (60, "1m"), (90, "90s"), (5400, "90m"), (3600, "1h"), (129_600, "36h"),
        (86_400, "1d"), (604_800, "1w"), (1_209_600, "2w"), (691_200, "8d"),
    ]

    @Test(arguments: byteCases)
    func byteCounts(bytes: Int64, text: String) {
        #expect(ByteCountText.describe(bytes) == text)
    }

    @Test(arguments: durationCases)
    func durations(seconds: Int, text: String) {
        #expect(DurationText.describe(seconds) == text)
    }

    @Test func nameListsShowTheFirstFewAndCountTheRest() {
        let names = (1...10_000).map { "t\($0)" }
        #expect(NameListText.abbreviated([]) == "")
        #expect(NameListText.abbreviated(["bob"]) == "bob")
        #expect(NameListText.abbreviated(Array(names.prefix(8))) == "t1,t2,t3,t4,t5,t6,t7,t8")
        #expect(NameListText.abbreviated(Array(names.prefix(9))) == "t1,t2,t3,t4,t5,t6,t7,t8,… (1 more)")
        #expect(NameListText.abbreviated(names) == "t1,t2,t3,t4,t5,t6,t7,t8,… (9992 more)")
        #expect(NameListText.abbreviated(names, shown: 2) == "t1,t2,… (9998 more)")
    }
}
