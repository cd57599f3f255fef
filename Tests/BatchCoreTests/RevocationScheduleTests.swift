import BatchCore
import Testing

@Suite struct RevocationScheduleTests {
    @Test func aTickSweepsOnlyAfterTheDirectoryChanged() {
        var schedule = RevocationSchedule()
        let ticks: [(version: Int64, sweeps: Bool)] = [
            (7, true), (7, true), (7, false), (7, false),  // the first version read counts as a change
            (8, true), (8, true), (8, false),
            (9, true), (10, true), (10, true), (10, false),  // a change during the second sweep starts again
            (9, true),  // any other version is a change, even an older one
        ]
        for (index, tick) in ticks.enumerated() {
            let due = schedule.due(version: tick.version)
            #expect(due == tick.sweeps, "tick \(index) at version \(tick.version)")
        }
    }
}
