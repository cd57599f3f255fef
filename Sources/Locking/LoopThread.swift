import Foundation

/// Marks the threads that run event loops, so that work which may block (a
/// catalogue transaction, a wait on another queue) can refuse to run on
/// one. In debug builds, the test suite's, such work on a loop thread
/// stops the process with the name of what blocked, as GRDB's scheduling
/// watchdog stops a database access on the wrong queue; release builds
/// skip the check.
public enum LoopThread {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Marks the calling thread as an event loop's, for as long as it lives.
    public static func markCurrent() {
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
    }

    /// Whether the calling thread runs an event loop.
    public static var isCurrent: Bool {
        pthread_getspecific(key) != nil
    }

    /// Stops a debug build when called on an event loop thread: `work`
    /// names what would have blocked it.
    public static func mayBlock(_ work: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
        assert(!isCurrent, "\(work()) would block an event loop thread", file: file, line: line)
    }
}
