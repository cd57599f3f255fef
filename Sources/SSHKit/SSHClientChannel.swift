import CLibSSH

/// One exec channel of an `SSHClientSession`, used on the session's thread.
///
/// Standard output is read with `read(into:timeout:)`; standard error and
/// the exit status are collected as they arrive, whichever channel of the
/// session is being read at the time.
public final class SSHClientChannel {
    /// Kept strongly: the libssh channel lives inside the session.
    private let session: SSHClientSession
    private let raw: ssh_channel
    private let callbacks: UnsafeMutablePointer<ssh_channel_callbacks_struct>
    private var freed = false
    private var stderrBytes: [UInt8] = []
    private var receivedExitStatus: Int32?

    /// Bound on the standard error kept, so a chatty server costs bounded memory.
    static let stderrLimit = 64 * 1024

    init(session: SSHClientSession, raw: ssh_channel) {
        self.session = session
        self.raw = raw
        callbacks = .allocate(capacity: 1)
        callbacks.initialize(to: ssh_channel_callbacks_struct())
        batchd_init_channel_callbacks(callbacks)
        callbacks.pointee.userdata = Unmanaged.passUnretained(self).toOpaque()
        callbacks.pointee.channel_data_function = clientDataTrampoline
        callbacks.pointee.channel_exit_status_function = clientExitStatusTrampoline
        ssh_set_channel_callbacks(raw, callbacks)
    }

    deinit {
        release()
        callbacks.deinitialize(count: 1)
        callbacks.deallocate()
    }

    /// Writes all of `bytes`, blocking while the server's window is full.
    public func write(_ bytes: [UInt8]) throws(SSHKitError) {
        let failure = bytes.withUnsafeBytes { buffer -> SSHKitError? in
            do throws(SSHKitError) {
                try write(buffer)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws(SSHKitError) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            try checkUsable()
            let chunk = min(bytes.count - offset, 1 << 20)
            let rc = ssh_channel_write(raw, base + offset, UInt32(chunk))
            guard rc >= 0 else { throw failure("writing") }
            // A short count means the wait for window space hit the session
            // timeout; keep waiting unless the channel went away meanwhile.
            if Int(rc) < chunk, ssh_channel_is_closed(raw) != 0 { throw failure("writing") }
            offset += Int(rc)
        }
    }

    /// Reads up to `buffer.count` bytes of standard output, waiting at most
    /// `timeout` seconds. Returns the count read, 0 if the time passed with
    /// nothing to read, or nil once the server ended the stream (EOF, or
    /// closed the channel).
    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Double) throws(SSHKitError) -> Int? {
        try checkUsable()
        if atEnd { return nil }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let milliseconds = Int32((max(0, min(timeout, 86_400)) * 1000).rounded(.up))
        let count = UInt32(min(buffer.count, 1 << 30))
        let rc = ssh_channel_read_timeout(raw, base, count, 0, milliseconds)
        if rc > 0 { return Int(rc) }
        if rc == 0 { return atEnd ? nil : 0 }
        // libssh reports a channel the server closed (CLOSE without EOF) as
        // an error; for the reader it is the end of the stream.
        // (libssh delays the close until buffered data has been read.)
        if session.isConnected, ssh_channel_is_closed(raw) != 0 { return nil }
        throw failure("reading")
    }

    /// The server sent EOF or closed the channel, and nothing is left to read.
    private var atEnd: Bool {
        ssh_channel_is_eof(raw) != 0
    }

    /// What the server wrote on standard error so far (its first 64 KiB),
    /// for error messages.
    public var stderrText: String {
        if !freed, !session.isClosed {
            // Picks up anything already on the socket without waiting; the
            // data callback stores it. Failures surface on the next read.
            _ = ssh_channel_poll(raw, 1)
        }
        return String(decoding: stderrBytes, as: UTF8.self)
    }

    /// Tells the server no more data will come (it sees EOF on its input).
    public func sendEOF() throws(SSHKitError) {
        try checkUsable()
        guard ssh_channel_send_eof(raw) == SSH_OK else { throw failure("sending EOF") }
    }

    /// The command's exit status once the server sent it, else nil. Servers
    /// may send it just after EOF, so after EOF this waits for it (or for the
    /// channel to close), at most the session's timeout.
    public var exitStatus: Int32? {
        if let receivedExitStatus { return receivedExitStatus }
        guard !freed, !session.isClosed, ssh_channel_is_eof(raw) != 0 else { return nil }
        // The value also reaches the callback, which records it; the return
        // value cannot tell "no status" from a status of -1.
        _ = ssh_channel_get_exit_status(raw)
        return receivedExitStatus
    }

    /// Closes the channel and frees it. Idempotent; the deinitializer also
    /// does it.
    public func close() {
        release()
    }

    // MARK: - Internal

    private func release() {
        guard !freed else { return }
        freed = true
        // After the session disconnected, libssh has freed this channel already.
        guard !session.isClosed else { return }
        ssh_remove_channel_callbacks(raw, callbacks)
        ssh_channel_free(raw)
    }

    private func checkUsable() throws(SSHKitError) {
        guard !freed, !session.isClosed else { throw .channelClosed }
    }

    /// Turns a failed libssh call into the error that explains it.
    private func failure(_ action: String) -> SSHKitError {
        let host = session.configuration.host
        guard session.isConnected else {
            return .channel("the connection to \(host) was lost while \(action): \(session.lastError)")
        }
        if ssh_channel_is_closed(raw) != 0 {
            return .channel("\(host) closed the channel; it stopped \(action)")
        }
        return .channel("\(action) failed: \(session.lastError)")
    }

    // MARK: - Callbacks (during libssh calls on the session's thread)

    fileprivate func record(stderr data: UnsafeRawBufferPointer) {
        let room = SSHClientChannel.stderrLimit - stderrBytes.count
        if room > 0 { stderrBytes.append(contentsOf: data.prefix(room)) }
    }

    fileprivate func record(exitStatus status: Int32) {
        receivedExitStatus = status
    }
}

/// A channel is confined to its session's thread; this states it to the compiler.
@available(*, unavailable)
extension SSHClientChannel: Sendable {}

// Trampolines recover the channel from `userdata` and forward; nothing more.

private func clientChannel(_ userdata: UnsafeMutableRawPointer?) -> SSHClientChannel? {
    guard let userdata else { return nil }
    return Unmanaged<SSHClientChannel>.fromOpaque(userdata).takeUnretainedValue()
}

/// Takes standard error as it arrives; leaves standard output in libssh's
/// buffer (consumes 0 bytes) for `ssh_channel_read`.
private let clientDataTrampoline: ssh_channel_data_callback = { _, _, data, len, isStderr, userdata in
    guard isStderr != 0 else { return 0 }
    if let data, let channel = clientChannel(userdata) {
        channel.record(stderr: UnsafeRawBufferPointer(start: data, count: Int(len)))
    }
    return Int32(len)
}

private let clientExitStatusTrampoline: ssh_channel_exit_status_callback = { _, _, status, userdata in
    clientChannel(userdata)?.record(exitStatus: status)
}
