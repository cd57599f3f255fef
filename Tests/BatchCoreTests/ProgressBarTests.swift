import BatchCore
import Testing

/// The terminal progress line: fitted to the width, honest percentages,
/// and an ETA that says nothing until it can say something true.
@Suite struct ProgressBarTests {
    @Test func lineFillsTheTerminalButNeverItsLastColumn() {
        for columns in [80, 100, 132] {
            let bar = ProgressBar(label: "batch 3 (1/2)", total: 10_000_000, columns: columns)
            let line = bar.render(done: 2_500_000, elapsed: 2)
            #expect(line.count == columns - 1, "\(columns): \(line)")
            #expect(line.hasPrefix("batch 3 (1/2) ["))
        }
    }

    @Test func figuresReadAsPercentBytesRateAndEta() {
        let bar = ProgressBar(label: "verifying", total: 10_000_000, columns: 100)
        let line = bar.render(done: 2_500_000, elapsed: 2)
        #expect(line.hasSuffix("]   25%  2.5 MB / 10.0 MB  1.2 MB/s  ETA 0:06"), "\(line)")
    }

    /// What is between the brackets.
    private func cells(_ line: String) -> String {
        String(line.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" })
    }

    @Test func barCellsAreFilledInProportion() {
        let half = cells(ProgressBar(label: "x", total: 100, columns: 80).render(done: 50, elapsed: 1))
        #expect(half.count >= 10)
        #expect(half == String(repeating: "=", count: half.count / 2 - 1) + ">" + String(repeating: " ", count: half.count - half.count / 2))
        let full = cells(ProgressBar(label: "x", total: 100, columns: 80).render(done: 100, elapsed: 1))
        #expect(full == String(repeating: "=", count: full.count))
        let empty = cells(ProgressBar(label: "x", total: 100, columns: 80).render(done: 0, elapsed: 1))
        #expect(empty == String(repeating: " ", count: empty.count))
        #expect(ProgressBar(label: "x", total: 100, columns: 80).render(done: 0, elapsed: 1).contains("    0%  0 B / 100 B"))
    }

    @Test func percentageRoundsDownSoItShowsHundredOnlyWhenDone() {
        let bar = ProgressBar(label: "x", total: 1000, columns: 80)
        #expect(bar.render(done: 999, elapsed: 1).contains(" 99%"))
        #expect(bar.render(done: 1000, elapsed: 1).contains("100%"))
        // More than the total (a file that grew) never shows above 100%.
        #expect(bar.render(done: 5000, elapsed: 1).contains("100%"))
    }

    @Test func narrowTerminalDropsTheBarThenTheLabel() {
        let label = "verifying batch 12 (3/40)"
        let medium = ProgressBar(label: label, total: 10_000_000, columns: 70).render(done: 1_000_000, elapsed: 1)
        #expect(!medium.contains("["))
        #expect(medium.hasPrefix(label + "   10%"))
        #expect(medium.count <= 69)
        let tiny = ProgressBar(label: label, total: 10_000_000, columns: 20).render(done: 1_000_000, elapsed: 1)
        #expect(tiny == " 10%  1.0 MB / 10.0")
        #expect(ProgressBar(label: label, total: 1, columns: 0).render(done: 0, elapsed: 0) == "")
    }

    @Test func etaIsUnknownUntilTheRateSettles() {
        #expect(ProgressBar.eta(remaining: 1000, rate: 0, elapsed: 5) == "--:--")
        #expect(ProgressBar.eta(remaining: 1000, rate: 100, elapsed: 0.2) == "--:--")
        #expect(ProgressBar.eta(remaining: 1000, rate: 100, elapsed: 1) == "0:10")
        #expect(ProgressBar.eta(remaining: 0, rate: 0, elapsed: 0) == "0:00")
    }

    @Test func etaCountsMinutesThenHours() {
        #expect(ProgressBar.eta(remaining: 1, rate: 1000, elapsed: 1) == "0:01")
        #expect(ProgressBar.eta(remaining: 95_000, rate: 1000, elapsed: 1) == "1:35")
        #expect(ProgressBar.eta(remaining: 3_599_000, rate: 1000, elapsed: 1) == "59:59")
        #expect(ProgressBar.eta(remaining: 3_600_000, rate: 1000, elapsed: 1) == "1:00:00")
        #expect(ProgressBar.eta(remaining: 36_061_000, rate: 1000, elapsed: 1) == "10:01:01")
        #expect(ProgressBar.eta(remaining: 400 * 3_600_000, rate: 1000, elapsed: 1) == ">99h")
    }

    @Test func byteCountsUseDecimalUnits() {
        #expect(ByteCountText.format(0) == "0 B")
        #expect(ByteCountText.format(999) == "999 B")
        #expect(ByteCountText.format(1000) == "1.0 KB")
        #expect(ByteCountText.format(1_536_000) == "1.5 MB")
        #expect(ByteCountText.format(999_999) == "1.0 MB")
        #expect(ByteCountText.format(24_000_000_000) == "24.0 GB")
    }
}
