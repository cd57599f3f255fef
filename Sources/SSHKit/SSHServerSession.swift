import CLibSSH
import Foundation

/// One accepted connection. Created on the accept thread with the loop
/// that will own it, and from its adoption to its end touched only on that
/// loop's thread: key exchange included, so every callback libssh runs for
/// it (a client may pipeline its login and first request behind NEWKEYS)
/// runs where its loop is. It is never used by two threads at once.
final class SSHServerSession: @unchecked Sendable {
    let id: UInt64
    let raw: ssh_session
    let peer: PeerAddress
    unowned let server: SSHServer
    /// The loop that owns the session, fixed at creation.
    unowned let loop: SSHEventLoop
    private(set) var info: SSHSessionInfo?
    /// Why a logged-in session may do nothing (MaxSessionsPerUser): each
    /// request it makes is answered with this on stderr, then it ends. A
    /// logged-in session without one counts against its user's limit.
    private var limitRefusal: String?
    /// Logged in past a limit: told why at its first request, then closed
    /// at the latest when its login grace time runs out.
    var isRefused: Bool { limitRefusal != nil }
    private let callbacks: UnsafeMutablePointer<ssh_server_callbacks_struct>
    private var channels: [ObjectIdentifier: SSHChannel] = [:]
    private var authFailures = 0
    private let loginDeadline: UInt64
    private var lastActivity: UInt64
    /// This session's own libssh event. Polling it runs only this
    /// connection's callbacks, so a flush that polls (libssh does, when the
    /// socket is full) never runs or fails another connection.
    private var event: ssh_event?
    /// The socket as registered with the loop's readiness set; -1 if none.
    var registeredDescriptor: Int32 = -1
    /// Whether the loop also waits for the socket to take output.
    var watchingWrites = false
    private(set) var shouldDisconnect = false
    /// Why the session ended, for the log.
    private var endReason = "closed by the server"
    private var graceExpired = false
    private(set) var freed = false

    init(id: UInt64, raw: ssh_session, peer: PeerAddress, server: SSHServer, loop: SSHEventLoop) {
        self.id = id
        self.raw = raw
        self.peer = peer
        self.server = server
        self.loop = loop
        let now = Monotonic.nanoseconds()
        loginDeadline = now + UInt64(server.configuration.loginGraceTime * 1e9)
        lastActivity = now
        callbacks = .allocate(capacity: 1)
        callbacks.initialize(to: ssh_server_callbacks_struct())
        batchd_init_server_callbacks(callbacks)
        callbacks.pointee.userdata = Unmanaged.passUnretained(self).toOpaque()
        callbacks.pointee.auth_pubkey_function = authPubkeyTrampoline
        callbacks.pointee.auth_none_function = authNoneTrampoline
        callbacks.pointee.channel_open_request_session_function = channelOpenTrampoline
        ssh_set_server_callbacks(raw, callbacks)
        ssh_set_auth_methods(raw, Int32(SSH_AUTH_METHOD_PUBLICKEY))
        ssh_set_blocking(raw, 0)
    }

    deinit {
        callbacks.deinitialize(count: 1)
        callbacks.deallocate()
    }

    /// Set with `info`: a stored flag, because the loop's sweep asks every
    /// session, and copying `info` out to compare it costs retains.
    private(set) var isAuthenticated = false

    /// Puts the session on an event of its own. libssh moves the socket
    /// there from the session's default poll context, which its first
    /// packet handling creates: call this after the first key exchange step.
    func attachEvent() -> Bool {
        guard let event = ssh_event_new() else { return false }
        guard ssh_event_add_session(event, raw) == SSH_OK else {
            ssh_event_free(event)
            return false
        }
        self.event = event
        return true
    }

    /// Starts the key exchange without waiting: the session is
    /// non-blocking, so libssh sends the banner, installs its packet
    /// handlers and returns. The rest of the exchange, the login and the
    /// channels all run by callbacks as `poll` reads packets, so a silent
    /// or stalling client costs a registration, never a thread. (Calling
    /// `ssh_handle_key_exchange` again to learn when it is done would not
    /// do: a client that pipelines its login behind NEWKEYS moves the
    /// session past the state that call waits for.) Returns why it failed,
    /// or nil.
    func startKeyExchange() -> String? {
        guard ssh_handle_key_exchange(raw) == SSH_ERROR else { return nil }
        let reason = String(cString: ssh_get_error(UnsafeMutableRawPointer(raw)))
        return reason.isEmpty ? "key exchange failed" : reason
    }

    /// True once both sides use the new keys.
    var keysExchanged: Bool { ssh_get_cipher_in(raw) != nil }

    /// Reads and handles what the socket has, and writes what it can take.
    /// libssh reads at most 4 KiB per poll, so this polls again while the
    /// kernel holds more, up to a fair share.
    func poll() {
        guard let event else { return }
        for _ in 0..<32 {
            _ = ssh_event_dopoll(event, 0)
            guard descriptorIsOpen else { return }
            var available: Int32 = 0
            guard ioctl(registeredDescriptor, UInt(FIONREAD), &available) == 0, available > 0 else { return }
        }
    }

    /// True while libssh still holds the registered socket open.
    var descriptorIsOpen: Bool {
        registeredDescriptor >= 0 && ssh_get_fd(raw) == registeredDescriptor
    }

    /// True when libssh has output the socket did not take yet.
    var hasOutputPending: Bool {
        ssh_get_status(raw) & Int32(SSH_WRITE_PENDING) != 0
    }

    func touch() {
        lastActivity = Monotonic.nanoseconds()
    }

    // MARK: - Authentication

    fileprivate func authenticate(user: String, key: ssh_key?, signatureState: Int8) -> Int32 {
        guard !isAuthenticated, !shouldDisconnect else { return SSH_AUTH_DENIED.rawValue }
        let offered = key.flatMap(LibSSHKey.publicKey(of:))
        let authorized = offered.map { server.delegate.isAuthorized(user: user, key: $0, peer: peer) } ?? false
        let keyType = offered?.type ?? "unknown"
        if authorized, let offered, signatureState == Int8(SSH_PUBLICKEY_STATE_VALID.rawValue) {
            let info = SSHSessionInfo(id: id, peer: peer, user: user, key: offered)
            self.info = info
            isAuthenticated = true
            server.sessionAuthenticated(self)
            server.delegate.sessionEvent(.authenticated(info, keyType: keyType))
            if let refusal = server.admitSession(of: user) {
                // The login was real, so the client is told why nothing
                // more happens (on stderr, at its first request), not
                // "permission denied"; it has LoginGraceTime to ask.
                server.delegate.sessionEvent(.requestRefused(info, request: refusal))
                limitRefusal = refusal
            }
            return SSH_AUTH_SUCCESS.rawValue
        }
        if authorized && signatureState == Int8(SSH_PUBLICKEY_STATE_NONE.rawValue) {
            // A probe without a signature: libssh answers PK_OK, which tells
            // the client the key would do. It authenticates nothing.
            return SSH_AUTH_SUCCESS.rawValue
        }
        recordFailure(user: user, keyType: keyType)
        return SSH_AUTH_DENIED.rawValue
    }

    fileprivate func recordFailure(user: String, keyType: String) {
        authFailures += 1
        server.authenticationFailed()
        server.delegate.sessionEvent(.authenticationFailed(id: id, peer: peer, user: user, keyType: keyType))
        if authFailures >= server.configuration.maxAuthTries {
            server.delegate.sessionEvent(.tooManyAuthFailures(id: id, peer: peer))
            requestDisconnect("too many authentication failures")
        }
    }

    // MARK: - Channels

    fileprivate func openChannel() -> ssh_channel? {
        guard isAuthenticated, !shouldDisconnect else {
            refused("channel open")
            return nil
        }
        let limit = server.configuration.maxChannelsPerSession
        guard channels.count < limit else {
            refused("channel open: \(channels.count) channels open on this connection (MaxChannelsPerSession \(limit))")
            return nil
        }
        guard let raw = ssh_channel_new(self.raw) else { return nil }
        let channel = SSHChannel(raw: raw, owner: self)
        channels[ObjectIdentifier(channel)] = channel
        touch()
        return raw
    }

    func accept(_ request: SSHChannelRequest, on channel: SSHChannel) -> Bool {
        // The role and the user are checked again on every request, never
        // only at login.
        guard let info, !shouldDisconnect else {
            refused("\(request)")
            return false
        }
        if let limitRefusal {
            channel.handler = RefusalHandler(message: "batchd: \(limitRefusal)\n", on: channel) { [weak self] in
                self?.requestDisconnect(limitRefusal)
            }
            return true
        }
        guard let handler = server.delegate.handler(for: request, session: info, channel: channel) else {
            return false
        }
        channel.handler = handler
        return true
    }

    func refused(_ request: String) {
        server.delegate.sessionEvent(.requestRefused(info, request: request))
    }

    func scheduleTeardown(of channel: SSHChannel) {
        loop.deferTeardown(channel)
    }

    /// Notes that libssh was given output for this session, so the loop
    /// checks whether it must wait for the socket to take it.
    func wroteOutput() {
        loop.noteActivity(self)
    }

    func channelTornDown(_ channel: SSHChannel) {
        channels.removeValue(forKey: ObjectIdentifier(channel))
    }

    // MARK: - Lifetime

    /// Records why the session ends, when it ends before a loop owns it.
    func noteEnd(_ reason: String) {
        endReason = reason
    }

    func requestDisconnect(_ reason: String = "closed by the server") {
        if !shouldDisconnect { endReason = reason }
        shouldDisconnect = true
        loop.deferSessionCheck(self)
    }

    /// Whether this session should be closed now: the peer went away, the
    /// grace time or idle timeout ran out, or too many auth failures.
    func expired(now: UInt64) -> Bool {
        if shouldDisconnect { return true }
        let status = ssh_get_status(raw)
        if status & Int32(SSH_CLOSED | SSH_CLOSED_ERROR) != 0 || ssh_is_connected(raw) == 0 {
            let error = String(cString: ssh_get_error(UnsafeMutableRawPointer(raw)))
            endReason = error.isEmpty ? "closed by the peer (status \(status), connected \(ssh_is_connected(raw)))" : error
            return true
        }
        if (!isAuthenticated || limitRefusal != nil) && now > loginDeadline {
            endReason = "login grace time over"
            graceExpired = true
            server.delegate.sessionEvent(.loginGraceExpired(id: id, peer: peer))
            return true
        }
        let idle = server.configuration.idleTimeout
        if isAuthenticated && idle > 0 && now > lastActivity + UInt64(idle * 1e9) {
            endReason = "idle timeout"
            server.delegate.sessionEvent(.idleTimeout(id: id, peer: peer))
            return true
        }
        return false
    }

    /// Closes every channel (telling its handler), then frees the session.
    /// Called by the owning loop outside libssh callbacks.
    func free() {
        guard !freed else { return }
        freed = true
        for channel in channels.values {
            channel.markClosed()
        }
        for channel in channels.values {
            channel.teardown()
        }
        channels.removeAll()
        if let event {
            ssh_event_remove_session(event, raw)
            ssh_event_free(event)
            self.event = nil
        }
        if ssh_is_connected(raw) != 0 {
            ssh_disconnect(raw)
        }
        if !isAuthenticated && !keysExchanged {
            server.delegate.sessionEvent(.keyExchangeFailed(peer: peer, reason: endReason))
        }
        ssh_free(raw)
        if !isAuthenticated {
            let offence: SourceOffence = graceExpired ? .graceExceeded : authFailures > 0 ? .authFailure : .noAuth
            server.sessionEndedUnauthenticated(self, offence: offence)
        }
        if let info, limitRefusal == nil { server.sessionEnded(of: info.user) }
        server.sessionFreed(wasAuthenticated: isAuthenticated)
        server.delegate.sessionEvent(.disconnected(id: id, peer: peer, user: info?.user, reason: endReason))
    }
}

private func session(_ userdata: UnsafeMutableRawPointer?) -> SSHServerSession? {
    guard let userdata else { return nil }
    return Unmanaged<SSHServerSession>.fromOpaque(userdata).takeUnretainedValue()
}

private let authPubkeyTrampoline: ssh_auth_pubkey_callback = { _, user, key, state, userdata in
    guard let session = session(userdata), let user else { return SSH_AUTH_DENIED.rawValue }
    return session.authenticate(user: String(cString: user), key: key, signatureState: state)
}

private let authNoneTrampoline: ssh_auth_none_callback = { _, _, _ in
    SSH_AUTH_DENIED.rawValue
}

private let channelOpenTrampoline: ssh_channel_open_request_session_callback = { _, userdata in
    session(userdata)?.openChannel()
}
