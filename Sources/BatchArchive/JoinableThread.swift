#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX thread running one closure, which its owner must `join` before
/// releasing it, so no archive thread outlives its writer.
final class JoinableThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    #if canImport(Glibc)
    private var handle = pthread_t()
    #else
    private var handle: pthread_t?
    #endif
    private var joined = false

    /// Starts a thread running `body`.
    init(_ body: @escaping @Sendable () -> Void) throws(ArchiveError) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let code = pthread_create(&handle, nil, { JoinableThread.start($0) }, context)
        guard code == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            joined = true
            throw .threadFailed(errno: code)
        }
    }

    deinit {
        precondition(joined, "an archive thread was released without being joined")
    }

    /// Waits for the closure to return; later calls do nothing.
    func join() {
        guard !joined else { return }
        #if canImport(Glibc)
        pthread_join(handle, nil)
        #else
        if let handle { pthread_join(handle, nil) }
        #endif
        joined = true
    }

    private static func start(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
        guard let context else { return nil }
        Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run()
        return nil
    }
}
