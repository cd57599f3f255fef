import CLibSSH
import Foundation
import Locking
import Synchronization

/// One thread serving many SSH sessions by callbacks: it waits on all
/// their sockets at once (epoll) and, for each ready one, polls that
/// session's own libssh event. Idle connections cost a registration and
/// their buffers, never a thread, and a wake-up costs only the sockets that
/// are ready.
final class SSHEventLoop: @unchecked Sendable {
    let index: Int
    private let readiness: ReadinessSet
    /// Work handed in from other threads, run on this loop's thread.
    /// The mutex guards only this array.
    private let inbox = Locked<[@Sendable () -> Void]>([])
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let stopFlag = Atomic<Bool>(false)
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    // Owned by the loop thread only:
    private var sessions: [UInt64: SSHServerSession] = [:]
    /// Sessions polled or written since their socket interest was checked.
    private var active: [UInt64: SSHServerSession] = [:]
    private var teardowns: [SSHChannel] = []
    private var sessionChecks: [SSHServerSession] = []
    /// Channels with output queued behind a closed window.
    private var writers: [ObjectIdentifier: SSHChannel] = [:]
    /// True when a channel queued output since the last flush.
    private var freshOutput = false
    /// How many libssh calls that may poll are in progress.
    private var libsshDepth = 0
    private var lastSweep: UInt64 = 0
    private var lastFullSweep: UInt64 = 0
    /// Sessions still subject to the login grace time: not logged in yet,
    /// or logged in past a limit and waiting to be closed. Swept every
    /// 200 ms; the rest, whose only timer is the idle timeout, every 2 s.
    private var loggingIn: [UInt64: SSHServerSession] = [:]
    /// Number of sessions owned, readable from any thread for balancing.
    let sessionCount = Atomic<Int>(0)
    private static let wakeKey = UInt64.max

    init(index: Int) throws(SSHKitError) {
        self.index = index
        readiness = try ReadinessSet()
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw .eventLoop("cannot create wake pipe: \(String(cString: strerror(errno)))")
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        guard readiness.add(wakeRead, key: SSHEventLoop.wakeKey) else {
            close(wakeRead)
            close(wakeWrite)
            throw .eventLoop("cannot watch the wake pipe: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "ssh-loop-\(index)"
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    /// Asks the loop to free every session and return.
    func stop() {
        stopFlag.store(true, ordering: .releasing)
        wake()
    }

    /// Runs `work` on the loop thread soon. Safe from any thread. Only the
    /// work that finds the inbox empty wakes the loop: the loop takes the
    /// whole inbox at once, so work queued behind it runs in the same turn,
    /// and 10,000 offers queued at a seal cost one wake, not 10,000.
    func execute(_ work: @escaping @Sendable () -> Void) {
        let first = inbox.withLock { queue in
            queue.append(work)
            return queue.count == 1
        }
        if first { wake() }
    }

    /// Takes ownership of a session just accepted, and runs its key
    /// exchange here, without blocking, as its packets arrive.
    func adopt(_ session: SSHServerSession) {
        precondition(session.loop === self, "a session is adopted by the loop it was made for")
        sessionCount.add(1, ordering: .relaxed)
        execute { [self] in
            let descriptor = ssh_get_fd(session.raw)
            session.registeredDescriptor = descriptor
            let failure = descriptor >= 0 ? callingLibSSH({ session.startKeyExchange() }) : "no socket"
            if let failure { session.noteEnd(failure) }
            guard failure == nil, session.attachEvent(),
                  readiness.add(descriptor, key: session.id, writing: session.hasOutputPending) else {
                session.registeredDescriptor = -1
                callingLibSSH { session.free() }
                sessionCount.subtract(1, ordering: .relaxed)
                return
            }
            session.watchingWrites = session.hasOutputPending
            sessions[session.id] = session
            loggingIn[session.id] = session
            serve(session)
        }
    }

    /// Handles what a session's socket has, key exchange included.
    private func serve(_ session: SSHServerSession) {
        callingLibSSH { session.poll() }
        active[session.id] = session
    }

    func deferTeardown(_ channel: SSHChannel) {
        teardowns.append(channel)
    }

    func flushLater(_ channel: SSHChannel) {
        writers[ObjectIdentifier(channel)] = channel
        freshOutput = true
    }

    /// True on the loop thread outside any libssh call. libssh flushes
    /// output by polling, which runs callbacks; a callback that wrote again
    /// would poll inside the poll that called it. So callbacks only queue,
    /// and the loop sends once libssh has returned.
    var isOutsideLibSSH: Bool { libsshDepth == 0 }

    /// Runs a libssh call that may poll, marking the loop busy so
    /// callbacks it triggers queue their work instead of calling libssh.
    func callingLibSSH<T>(_ body: () -> T) -> T {
        libsshDepth += 1
        defer { libsshDepth -= 1 }
        return body()
    }

    func deferSessionCheck(_ session: SSHServerSession) {
        sessionChecks.append(session)
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Called when libssh was given output for `session`.
    func noteActivity(_ session: SSHServerSession) {
        active[session.id] = session
    }

    private func drainWakePipe() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
    }

    private func run() {
        LoopThread.markCurrent()
        while !stopFlag.load(ordering: .acquiring) {
            // 200 ms bounds how late a timeout or a silent disconnect is seen.
            // Wake soon while output waits for a window to reopen.
            let timeout: Int32 = freshOutput ? 0 : writers.isEmpty ? 200 : 5
            freshOutput = false
            for event in readiness.wait(timeout: timeout) {
                if event.key == SSHEventLoop.wakeKey {
                    drainWakePipe()
                } else if let session = sessions[event.key] {
                    serve(session)
                }
            }
            runInbox()
            flushWriters()
            watchActiveSockets()
            runDeferred()
            let now = Monotonic.nanoseconds()
            if now - lastSweep > 200_000_000 {
                lastSweep = now
                sweep(now: now)
            }
        }
        runInbox()
        for session in sessions.values {
            unwatch(session)
            callingLibSSH { session.free() }
        }
        sessions.removeAll()
        runDeferred()
        finished.signal()
    }

    /// Blocks until the loop thread has freed its sessions and returned.
    /// The thread's closure holds the loop; dropping the thread ends that
    /// cycle, so a stopped loop is freed.
    func waitUntilStopped() {
        guard thread != nil else { return }
        finished.wait()
        thread = nil
    }

    /// Sends queued output. A flush can queue more (a handler refilling a
    /// drained channel), so this runs a few rounds while there is fresh work.
    private func flushWriters() {
        var rounds = 0
        while !writers.isEmpty, rounds < 4 {
            rounds += 1
            freshOutput = false
            let round = writers
            for (key, channel) in round where channel.isClosed || channel.flush() {
                if writers[key] === channel, channel.isClosed || channel.pendingBytes == 0 {
                    writers.removeValue(forKey: key)
                }
            }
            if !freshOutput { break }
        }
    }

    /// Waits for a socket to take output only while libssh holds some for
    /// it, and hands sessions whose socket libssh closed to the check.
    private func watchActiveSockets() {
        guard !active.isEmpty else { return }
        let touched = active
        active.removeAll()
        for session in touched.values where !session.freed {
            guard session.descriptorIsOpen else {
                readiness.forgetClosed(session.registeredDescriptor, key: session.id)
                session.registeredDescriptor = -1
                deferSessionCheck(session)
                continue
            }
            if ssh_is_connected(session.raw) == 0 {
                deferSessionCheck(session)
            }
            let writing = session.hasOutputPending
            if writing != session.watchingWrites {
                readiness.modify(session.registeredDescriptor, key: session.id, writing: writing)
                session.watchingWrites = writing
            }
        }
    }

    private func unwatch(_ session: SSHServerSession) {
        guard session.registeredDescriptor >= 0 else { return }
        if session.descriptorIsOpen {
            readiness.remove(session.registeredDescriptor, key: session.id)
        } else {
            readiness.forgetClosed(session.registeredDescriptor, key: session.id)
        }
        session.registeredDescriptor = -1
    }

    private func runInbox() {
        let work = inbox.withLock { queue -> [@Sendable () -> Void] in
            let taken = queue
            queue.removeAll()
            return taken
        }
        for item in work { item() }
    }

    private func runDeferred() {
        while !teardowns.isEmpty || !sessionChecks.isEmpty {
            let channels = teardowns
            teardowns.removeAll()
            for channel in channels {
                callingLibSSH { channel.teardown() }
                channel.owner?.channelTornDown(channel)
            }
            let checks = sessionChecks
            sessionChecks.removeAll()
            let now = Monotonic.nanoseconds()
            for session in checks where session.expired(now: now) {
                release(session)
            }
        }
    }

    /// Closes the sessions whose time ran out. A peer that went away is
    /// seen sooner, by the socket's events (`watchActiveSockets`).
    private func sweep(now: UInt64) {
        let full = now - lastFullSweep > 2_000_000_000
        if full { lastFullSweep = now }
        for session in (full ? sessions : loggingIn).values {
            if session.expired(now: now) {
                release(session)
            } else if session.isAuthenticated, !session.isRefused {
                loggingIn.removeValue(forKey: session.id)
            }
        }
        runDeferred()
    }

    private func release(_ session: SSHServerSession) {
        loggingIn.removeValue(forKey: session.id)
        guard sessions.removeValue(forKey: session.id) != nil else { return }
        unwatch(session)
        callingLibSSH { session.free() }
        sessionCount.subtract(1, ordering: .relaxed)
    }
}
