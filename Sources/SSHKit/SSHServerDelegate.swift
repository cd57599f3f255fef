/// A request that gives a channel its job.
public enum SSHChannelRequest: Sendable, Equatable {
    /// `ssh host COMMAND`, and legacy `scp -t`.
    case exec(String)
    /// `sftp`, and `scp` in its default SFTP mode.
    case subsystem(String)
}

/// Who is on the other end of a session, once authenticated.
public struct SSHSessionInfo: Sendable, Equatable {
    /// A number unique within this server process, for logs.
    public let id: UInt64
    /// The client's address and port.
    public let peer: PeerAddress
    /// The authenticated user name.
    public let user: String
    /// The key whose signature authenticated the session, so revoking it
    /// can cut the session off at its next request.
    public let key: SSHPublicKey
}

/// The policy above the SSH layer. Every method is called on the loop
/// thread that owns the session, and must not block.
public protocol SSHServerDelegate: AnyObject, Sendable {
    /// Whether `key` is an active key of `user`. Called for signature-less
    /// probes too; SSHKit alone decides that only a verified signature
    /// authenticates.
    func isAuthorized(user: String, key: SSHPublicKey, peer: PeerAddress) -> Bool

    /// A channel asks for a job. Return a handler to accept it, or nil to
    /// refuse; refusals may write a message on `channel` first.
    func handler(for request: SSHChannelRequest, session: SSHSessionInfo, channel: SSHChannel) -> SSHChannelHandler?

    /// Logs a connection-level event (auth failures, disconnects).
    func sessionEvent(_ event: SSHSessionEvent)
}

/// Connection-level events reported to the delegate for logging.
public enum SSHSessionEvent: Sendable {
    case connected(id: UInt64, peer: PeerAddress)
    case authenticated(SSHSessionInfo, keyType: String)
    case authenticationFailed(id: UInt64, peer: PeerAddress, user: String, keyType: String)
    case tooManyAuthFailures(id: UInt64, peer: PeerAddress)
    case loginGraceExpired(id: UInt64, peer: PeerAddress)
    case idleTimeout(id: UInt64, peer: PeerAddress)
    case refused(peer: PeerAddress, reason: String)
    /// Accepting failed (out of descriptors, say); the listener retries
    /// after `retryIn` seconds, longer each time until one succeeds.
    case acceptFailed(reason: String, retryIn: Double)
    case keyExchangeFailed(peer: PeerAddress, reason: String)
    case requestRefused(SSHSessionInfo?, request: String)
    /// `reason` says who ended it: the peer, an error, or the server.
    case disconnected(id: UInt64, peer: PeerAddress, user: String?, reason: String)
}

/// Receives one channel's traffic. Called on the loop thread that owns it.
public protocol SSHChannelHandler: AnyObject {
    /// Bytes arrived; they are consumed whole.
    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer)
    /// The client sent EOF: no more data will arrive.
    func channelReceivedEOF(_ channel: SSHChannel)
    /// The channel is gone (closed by either side, or its connection
    /// dropped). Called exactly once; the channel accepts no more writes.
    func channelClosed(_ channel: SSHChannel)
    /// Everything written so far has left the buffer.
    func channelDrained(_ channel: SSHChannel)
}

extension SSHChannelHandler {
    public func channelDrained(_ channel: SSHChannel) {}
}
