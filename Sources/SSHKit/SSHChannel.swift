import CLibSSH

/// One server-side SSH channel. Confined to the loop thread that owns its
/// session: every method must be called there (use `execute` from other
/// threads). Owns its libssh callbacks struct and releases the channel once.
public final class SSHChannel: @unchecked Sendable {
    /// The session this channel belongs to, for logs and policy.
    public var session: SSHSessionInfo? { owner?.info }
    /// Bytes accepted by `write` that the peer's window has not taken yet.
    public var pendingBytes: Int { pending.count - pendingStart + later.count }
    /// True once the channel is closed; writes are then dropped.
    public private(set) var isClosed = false

    let raw: ssh_channel
    weak var owner: SSHServerSession?
    var handler: SSHChannelHandler?
    private let callbacks: UnsafeMutablePointer<ssh_channel_callbacks_struct>
    private var pending: [UInt8] = []
    private var pendingStart = 0
    /// Bytes written while libssh was busy sending `pending`; they follow it.
    private var later: [UInt8] = []
    private var stderrPending: [UInt8] = []
    private(set) var closeRequested = false
    private var exitStatus: Int32?
    private var eofSent = false
    private var torndown = false
    /// True while libssh sends this channel's queued output.
    private var sending = false
    /// True while libssh holds input this channel did not take because its
    /// output was full; the client's window closes behind it.
    private var inputHeld = false
    /// The client's EOF, kept until the held input before it is handled.
    private var eofHeld = false

    /// Output queued past which the channel takes no more input: a client
    /// that sends requests and never reads the replies stops being read,
    /// and libssh stops opening its window, as OpenSSH's channels do. So a
    /// channel costs at most this much output plus libssh's window (about
    /// 1.28 MB) of input, whatever the client does.
    public static let outputHighWater = 1 << 20

    init(raw: ssh_channel, owner: SSHServerSession) {
        self.raw = raw
        self.owner = owner
        callbacks = .allocate(capacity: 1)
        callbacks.initialize(to: ssh_channel_callbacks_struct())
        batchd_init_channel_callbacks(callbacks)
        callbacks.pointee.userdata = Unmanaged.passUnretained(self).toOpaque()
        callbacks.pointee.channel_data_function = channelDataTrampoline
        callbacks.pointee.channel_eof_function = channelEOFTrampoline
        callbacks.pointee.channel_close_function = channelCloseTrampoline
        callbacks.pointee.channel_exec_request_function = channelExecTrampoline
        callbacks.pointee.channel_subsystem_request_function = channelSubsystemTrampoline
        callbacks.pointee.channel_pty_request_function = channelPtyTrampoline
        callbacks.pointee.channel_shell_request_function = channelShellTrampoline
        callbacks.pointee.channel_env_request_function = channelEnvTrampoline
        callbacks.pointee.channel_write_wontblock_function = channelWontBlockTrampoline
        ssh_set_channel_callbacks(raw, callbacks)
    }

    deinit {
        callbacks.deinitialize(count: 1)
        callbacks.deallocate()
    }

    /// Runs `work` on this channel's loop thread, after the current event.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        owner?.loop.execute(work)
    }

    /// Runs `work` once on each loop thread that owns some of `items`'
    /// channels, with those items in their order: a burst to thousands of
    /// channels costs one queued closure per loop instead of one per
    /// channel. Safe from any thread. Returns the items whose channel has
    /// no session left, which nothing runs for.
    public static func executeGrouped<Item: Sendable>(
        _ items: [Item], channel: (Item) -> SSHChannel, _ work: @escaping @Sendable (_ items: [Item]) -> Void
    ) -> [Item] {
        var groups: [ObjectIdentifier: (loop: SSHEventLoop, items: [Item])] = [:]
        var orphans: [Item] = []
        for item in items {
            guard let loop = channel(item).owner?.loop else {
                orphans.append(item)
                continue
            }
            groups[ObjectIdentifier(loop), default: (loop, [])].items.append(item)
        }
        for (loop, group) in groups.values {
            loop.execute { work(group) }
        }
        return orphans
    }

    /// Queues bytes for the client; they go out as its window allows.
    ///
    /// Inside a libssh callback nothing is sent: libssh flushes a write by
    /// polling, which would run callbacks inside the callback that wrote.
    /// The loop sends queued output once libssh has returned.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard !isClosed, !closeRequested, bytes.count > 0 else { return }
        if sending {
            later.append(contentsOf: bytes)
            return
        }
        if pendingBytes == 0, let loop = idleLoop {
            let sent = handToLibSSH(loop) { send(bytes) }
            if sent < bytes.count {
                pending.append(contentsOf: bytes[sent...])
            }
            takeLater()
            if pendingBytes == 0 { return }
        } else {
            pending.append(contentsOf: bytes)
        }
        // libssh says nothing when the peer's window reopens, so the loop
        // retries channels with queued output after every poll.
        owner?.loop.flushLater(self)
    }

    /// Queues bytes for the client.
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Queues text for the client.
    public func write(_ text: String) {
        write(Array(text.utf8))
    }

    /// Writes text on the extended (stderr) stream, as `ssh` shows to users.
    /// Error messages are short, so they bypass the window bookkeeping.
    /// Like all output it leaves after the current callback returns, so a
    /// request refused outright (handler `nil`) gets its failure reply
    /// first: to refuse with a message, accept, write it and close with a
    /// non-zero exit status.
    public func writeStderr(_ text: String) {
        guard !isClosed, !closeRequested else { return }
        stderrPending.append(contentsOf: text.utf8)
        if idleLoop != nil, !sending {
            sendStderr()
        } else {
            owner?.loop.flushLater(self)
        }
    }

    /// Sends EOF, the exit status (for exec channels) and closes, once all
    /// queued output has gone out.
    public func close(exitStatus: Int32? = nil) {
        guard !isClosed, !closeRequested else { return }
        self.exitStatus = exitStatus
        closeRequested = true
        if idleLoop != nil, !sending {
            finishCloseIfDrained()
        }
        if !isClosed {
            owner?.loop.flushLater(self)
        }
    }

    // MARK: - Internal

    /// The owning loop when libssh may be called now: on its thread and not
    /// inside any libssh call, so a nested poll is at most one level deep.
    private var idleLoop: SSHEventLoop? {
        guard let loop = owner?.loop, loop.isOutsideLibSSH else { return nil }
        return loop
    }

    private func send(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count {
            let window = Int(ssh_channel_window_size(raw))
            if window == 0 { break }
            let n = min(window, bytes.count - offset, 1 << 20)
            let rc = ssh_channel_write(raw, bytes.baseAddress! + offset, UInt32(n))
            if rc <= 0 { break }
            offset += Int(rc)
        }
        return offset
    }

    private func sendStderr() {
        guard !stderrPending.isEmpty, let loop = idleLoop else { return }
        let bytes = stderrPending
        stderrPending.removeAll()
        _ = handToLibSSH(loop) {
            bytes.withUnsafeBytes { ssh_channel_write_stderr(raw, $0.baseAddress, UInt32($0.count)) }
        }
        takeLater()
    }

    /// Runs a libssh call that sends for this channel. Writes made by
    /// callbacks it triggers wait in `later`; the loop then checks whether
    /// the socket took everything.
    private func handToLibSSH<T>(_ loop: SSHEventLoop, _ body: () -> T) -> T {
        sending = true
        defer {
            sending = false
            owner?.wroteOutput()
        }
        return loop.callingLibSSH(body)
    }

    private func takeLater() {
        guard !later.isEmpty else { return }
        pending.append(contentsOf: later)
        later.removeAll()
    }

    /// Sends what the window allows. Returns true when nothing is left queued.
    /// Called by the loop outside libssh callbacks.
    @discardableResult
    func flush() -> Bool {
        guard !isClosed else { return true }
        guard !sending, let loop = idleLoop else { return false }
        sendStderr()
        if pendingBytes > 0, !isClosed {
            let start = pendingStart
            let sent = handToLibSSH(loop) {
                pending.withUnsafeBytes { send(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            }
            pendingStart += sent
            if pendingStart == pending.count {
                pending.removeAll(keepingCapacity: false)
                pendingStart = 0
            } else if pendingStart > (1 << 20) && pendingStart * 2 > pending.count {
                pending.removeFirst(pendingStart)
                pendingStart = 0
            }
            takeLater()
        }
        if inputHeld, pendingBytes < SSHChannel.outputHighWater, !closeRequested {
            resumeInput(loop)
        }
        guard !isClosed, pendingBytes == 0 else { return isClosed }
        if closeRequested {
            finishCloseIfDrained()
        } else {
            handler?.channelDrained(self)
        }
        return isClosed || pendingBytes == 0
    }

    private func finishCloseIfDrained() {
        guard closeRequested, pendingBytes == 0, stderrPending.isEmpty, !isClosed, let loop = idleLoop else { return }
        let status = exitStatus
        let sendEOF = !eofSent
        eofSent = true
        handToLibSSH(loop) {
            if let status {
                ssh_channel_request_send_exit_status(raw, status)
            }
            if sendEOF {
                ssh_channel_send_eof(raw)
            }
        }
        markClosed()
    }

    /// Marks the channel closed, tells the handler once, and schedules the
    /// libssh side to be released after the current event.
    func markClosed() {
        guard !isClosed else { return }
        isClosed = true
        let handler = self.handler
        self.handler = nil
        handler?.channelClosed(self)
        owner?.scheduleTeardown(of: self)
    }

    /// Releases the libssh channel. Called by the loop outside any libssh
    /// call; after it, libssh never calls into this object again.
    func teardown() {
        guard !torndown else { return }
        torndown = true
        pending = []
        later = []
        stderrPending = []
        pendingStart = 0
        ssh_remove_channel_callbacks(raw, callbacks)
        ssh_channel_free(raw)
    }

    /// Hands the input libssh kept while output was full to the handler,
    /// as long as output stays under the mark; then the EOF that waited
    /// behind it. Reading from libssh's buffer reopens the client's window.
    private func resumeInput(_ loop: SSHEventLoop) {
        inputHeld = false
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while !isClosed, let handler, pendingBytes < SSHChannel.outputHighWater {
            let count = handToLibSSH(loop) {
                buffer.withUnsafeMutableBytes { ssh_channel_read_nonblocking(raw, $0.baseAddress, UInt32($0.count), 0) }
            }
            guard count > 0 else { break }
            owner?.touch()
            buffer.withUnsafeBytes { handler.channel(self, received: UnsafeRawBufferPointer(rebasing: $0[..<Int(count)])) }
        }
        guard !isClosed else { return }
        if pendingBytes >= SSHChannel.outputHighWater {
            inputHeld = true
        } else if eofHeld {
            eofHeld = false
            handler?.channelReceivedEOF(self)
        }
    }

    // MARK: - Callbacks (on the loop thread)

    /// Returns how many bytes were taken: all of them, or none while
    /// output is over the mark (libssh keeps the rest for `resumeInput`).
    func received(_ data: UnsafeRawBufferPointer) -> Int {
        owner?.touch()
        guard !isClosed, let handler else { return data.count }
        guard !inputHeld, pendingBytes < SSHChannel.outputHighWater else {
            inputHeld = true
            owner?.loop.flushLater(self)
            return 0
        }
        handler.channel(self, received: data)
        return data.count
    }

    func receivedEOF() {
        guard !isClosed else { return }
        guard !inputHeld else {
            eofHeld = true
            return
        }
        handler?.channelReceivedEOF(self)
    }

    func request(_ request: SSHChannelRequest) -> Bool {
        guard !isClosed, handler == nil, let owner else { return false }
        return owner.accept(request, on: self)
    }
}

// libssh cannot call Swift closures that capture state, so each trampoline
// recovers the channel from `userdata` and forwards; nothing more.

private func channel(_ userdata: UnsafeMutableRawPointer?) -> SSHChannel? {
    guard let userdata else { return nil }
    return Unmanaged<SSHChannel>.fromOpaque(userdata).takeUnretainedValue()
}

private let channelDataTrampoline: ssh_channel_data_callback = { _, _, data, len, isStderr, userdata in
    guard let data, let channel = channel(userdata) else { return Int32(len) }
    guard isStderr == 0 else { return Int32(len) }
    return Int32(channel.received(UnsafeRawBufferPointer(start: data, count: Int(len))))
}

private let channelEOFTrampoline: ssh_channel_eof_callback = { _, _, userdata in
    channel(userdata)?.receivedEOF()
}

private let channelCloseTrampoline: ssh_channel_close_callback = { _, _, userdata in
    channel(userdata)?.markClosed()
}

private let channelExecTrampoline: ssh_channel_exec_request_callback = { _, _, command, userdata in
    guard let command, let channel = channel(userdata) else { return -1 }
    return channel.request(.exec(String(cString: command))) ? 0 : -1
}

private let channelSubsystemTrampoline: ssh_channel_subsystem_request_callback = { _, _, name, userdata in
    guard let name, let channel = channel(userdata) else { return -1 }
    return channel.request(.subsystem(String(cString: name))) ? 0 : -1
}

private let channelPtyTrampoline: ssh_channel_pty_request_callback = { _, _, _, _, _, _, _, userdata in
    channel(userdata)?.owner?.refused("pty-req")
    return -1
}

private let channelShellTrampoline: ssh_channel_shell_request_callback = { _, _, userdata in
    channel(userdata)?.owner?.refused("shell")
    return -1
}

private let channelEnvTrampoline: ssh_channel_env_request_callback = { _, _, _, _, _ in
    -1
}

private let channelWontBlockTrampoline: ssh_channel_write_wontblock_callback = { _, _, _, userdata in
    if let channel = channel(userdata) {
        channel.owner?.loop.flushLater(channel)
    }
    return 0
}
