import Foundation

/// A value that threads share, behind one lock: `withLock` runs a closure
/// with the value to itself. The owner's comment says what it guards.
///
/// It takes the place of `Synchronization.Mutex`, which on Linux hands a
/// contended lock over through the kernel (a priority-inheritance futex,
/// in a library built without instrumentation), where ThreadSanitizer
/// cannot see it and reports every access under the lock as a race. This
/// lock is a pthread mutex (`NSLock`), which ThreadSanitizer follows, so
/// `make sanitize` reports only races that are real.
///
/// A lock that guards no value (`Locked<Void>`) is a plain `NSLock`
/// instead: ThreadSanitizer takes Swift's access to an empty stored value
/// for an access to the object's first bytes and reports it as a race.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    /// Puts `value` behind the lock.
    public init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with the value while holding the lock, and returns
    /// what it returns.
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
