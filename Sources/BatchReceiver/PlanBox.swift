import BatchCore
import Foundation

/// The newest plan the server sent for one batch, handed from the
/// subscribe thread to the delivery thread. The condition guards `plan`.
final class PlanBox: @unchecked Sendable {
    private let condition = NSCondition()
    private var plan: Plan?

    func update(_ plan: Plan) {
        condition.lock()
        self.plan = plan
        condition.broadcast()
        condition.unlock()
    }

    /// The current plan, waiting up to `timeout` seconds for the first one.
    func current(waiting timeout: TimeInterval) -> Plan? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while plan == nil, condition.wait(until: deadline) {}
        return plan
    }
}
