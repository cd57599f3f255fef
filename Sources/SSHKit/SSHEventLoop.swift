import CLibSSH
import Foundation
import Synchronization

/// One thread running one libssh `ssh_event`: it owns every session added
/// to it and runs all their channel I/O by callbacks. Idle connections cost
/// a poll entry and their buffers, never a thread.
final class SSHEventLoop: @unchecked Sendable {
    let index: Int
    private let event: ssh_event
    /// Work handed in from other threads, run on this loop's thread.
    /// The mutex guards only this array.
    private let inbox = Mutex<[@Sendable () -> Void]>([])
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let stopFlag = Atomic<Bool>(false)
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    // Owned by the loop thread only:
    private var sessions: [ObjectIdentifier: SSHServerSession] = [:]
    private var teardowns: [SSHChannel] = []
    private var sessionChecks: [SSHServerSession] = []
    /// Channels with output queued behind a closed window.
    private var writers: [ObjectIdentifier: SSHChannel] = [:]
    /// True when a channel queued output since the last flush.
    private var freshOutput = false
    /// How many libssh calls that may poll the event are in progress.
    private var libsshDepth = 0
    private var lastSweep: UInt64 = 0
    /// Number of sessions owned, readable from any thread for balancing.
    let sessionCount = Atomic<Int>(0)

    init(index: Int) throws(SSHKitError) {
        self.index = index
        guard let event = ssh_event_new() else { throw .eventLoop("ssh_event_new failed") }
        self.event = event
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            ssh_event_free(event)
            throw .eventLoop("cannot create wake pipe: \(String(cString: strerror(errno)))")
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        _ = fcntl(wakeRead, F_SETFL, fcntl(wakeRead, F_GETFL) | O_NONBLOCK)
        _ = fcntl(wakeWrite, F_SETFL, fcntl(wakeWrite, F_GETFL) | O_NONBLOCK)
        ssh_event_add_fd(event, wakeRead, Int16(POLLIN), wakeTrampoline, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        ssh_event_remove_fd(event, wakeRead)
        ssh_event_free(event)
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

    /// Runs `work` on the loop thread soon. Safe from any thread.
    func execute(_ work: @escaping @Sendable () -> Void) {
        inbox.withLock { $0.append(work) }
        wake()
    }

    /// Takes ownership of a session whose key exchange is done.
    func adopt(_ session: SSHServerSession) {
        sessionCount.add(1, ordering: .relaxed)
        execute { [self] in
            session.loop = self
            ssh_set_blocking(session.raw, 0)
            if ssh_event_add_session(event, session.raw) != SSH_OK {
                session.requestDisconnect()
            }
            sessions[ObjectIdentifier(session)] = session
        }
    }

    func deferTeardown(_ channel: SSHChannel) {
        teardowns.append(channel)
    }

    func flushLater(_ channel: SSHChannel) {
        writers[ObjectIdentifier(channel)] = channel
        freshOutput = true
    }

    /// True on the loop thread outside any libssh call. libssh flushes
    /// output by polling the whole event, running other connections'
    /// callbacks; a poll nested inside another poll corrupts libssh's
    /// socket table when a connection closes meanwhile. So callbacks only
    /// queue, and libssh is called again only from here.
    var isOutsideLibSSH: Bool { libsshDepth == 0 }

    /// Runs a libssh call that may poll the event, marking the loop busy so
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

    fileprivate func drainWakePipe() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
    }

    private func run() {
        while !stopFlag.load(ordering: .acquiring) {
            // 200 ms bounds how late a timeout or a silent disconnect is seen.
            // Poll briefly while output waits for a window to reopen.
            let timeout: Int32 = freshOutput ? 0 : writers.isEmpty ? 200 : 5
            freshOutput = false
            _ = callingLibSSH { ssh_event_dopoll(event, timeout) }
            runInbox()
            flushWriters()
            runDeferred()
            let now = Monotonic.nanoseconds()
            if now - lastSweep > 200_000_000 {
                lastSweep = now
                sweep(now: now)
            }
        }
        runInbox()
        for session in sessions.values {
            callingLibSSH { session.free(event: event) }
        }
        sessions.removeAll()
        runDeferred()
        finished.signal()
    }

    /// Blocks until the loop thread has freed its sessions and returned.
    func waitUntilStopped() {
        guard thread != nil else { return }
        finished.wait()
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

    private func sweep(now: UInt64) {
        for session in sessions.values where session.expired(now: now) {
            release(session)
        }
        runDeferred()
    }

    private func release(_ session: SSHServerSession) {
        guard sessions.removeValue(forKey: ObjectIdentifier(session)) != nil else { return }
        callingLibSSH { session.free(event: event) }
        sessionCount.subtract(1, ordering: .relaxed)
    }
}

private let wakeTrampoline: ssh_event_callback = { _, _, userdata in
    guard let userdata else { return 0 }
    Unmanaged<SSHEventLoop>.fromOpaque(userdata).takeUnretainedValue().drainWakePipe()
    return 0
}
