import BatchServer
import Testing

/// The progress bar on a terminal: at most ten drawings a second, each on
/// the same line, and gone when it is cleared or finished.
@Suite struct ProgressDisplayTests {
    private final class Screen {
        var text = ""
        var now = 0.0
    }

    @Test func redrawsAtMostTenTimesASecond() {
        let screen = Screen()
        let display = ProgressDisplay(columns: 80, write: { screen.text += $0 }, clock: { screen.now })
        display.begin(label: "verifying", total: 1000)
        // Updates every 1/32 s for a second (exact in binary): a drawing
        // every fourth one, the first that is at least 0.1 s after the last.
        for step in 0...32 {
            screen.now = Double(step) / 32
            display.update(done: Int64(step * 30))
        }
        let drawings = screen.text.components(separatedBy: "\r").filter { !$0.isEmpty }
        #expect(drawings.count == 9, "\(drawings)")
        #expect(drawings.first?.hasPrefix("verifying [") == true)
        #expect(drawings.allSatisfy { $0.hasSuffix("\u{1B}[K") && $0.count == 79 + 3 })
    }

    @Test func clearErasesTheLineAndTheNextUpdateDrawsAtOnce() {
        let screen = Screen()
        let display = ProgressDisplay(columns: 60, write: { screen.text += $0 }, clock: { screen.now })
        display.clear()
        #expect(screen.text.isEmpty)
        display.begin(label: "x", total: 10)
        display.update(done: 1)
        screen.text = ""
        display.clear()
        #expect(screen.text == "\r\u{1B}[K")
        screen.text = ""
        display.update(done: 2)
        #expect(screen.text.hasPrefix("\rx ["))
        display.finish()
        screen.text = ""
        display.update(done: 3)
        display.clear()
        #expect(screen.text.isEmpty)
    }

    @Test func relabelKeepsTheCount() {
        let screen = Screen()
        let display = ProgressDisplay(columns: 80, write: { screen.text = $0 }, clock: { screen.now })
        display.begin(label: "verifying batch 1 (1/2)", total: 100)
        display.update(done: 50)
        display.relabel("verifying batch 2 (2/2)")
        screen.now = 1
        display.update(done: 60)
        #expect(screen.text.hasPrefix("\rverifying batch 2 (2/2) ["))
        #expect(screen.text.contains(" 60%"))
    }
}
