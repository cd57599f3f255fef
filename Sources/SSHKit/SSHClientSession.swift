import CLibSSH
import Foundation

/// A blocking SSH client connection: connects, verifies the server's host
/// key, authenticates with a private key, then runs exec channels.
///
/// Not thread-safe, and deliberately not `Sendable`: a session and all its
/// channels belong to one thread at a time (libssh's rule). Run one thread
/// per session to talk to several servers at once.
public final class SSHClientSession {
    /// What this session connected with.
    public let configuration: SSHClientConfiguration
    /// The key the server proved it holds during key exchange.
    public let serverHostKey: SSHPublicKey
    /// `SHA256:…` fingerprint of `serverHostKey`, as `ssh-keygen -l` prints it.
    public let serverFingerprint: String

    let raw: ssh_session
    /// Set by `close()`. libssh frees every channel of a session when it
    /// disconnects, so channels check this before touching their pointer.
    private(set) var isClosed = false

    /// Connects, sets TCP_NODELAY, checks the host key per the policy, and
    /// authenticates with the identity. Never reads `~/.ssh/config` or the
    /// system-wide known_hosts; offers only the algorithms in `Algorithms`.
    public init(configuration: SSHClientConfiguration) throws(SSHKitError) {
        ssh_init()
        let identity = try SSHClientSession.loadIdentity(configuration.identityPath)
        guard let raw = ssh_new() else {
            throw .connect(host: configuration.host, port: configuration.port, reason: "libssh could not create a session")
        }
        let serverKey: LibSSHKey
        do throws(SSHKitError) {
            try SSHClientSession.configure(raw, configuration)
            guard ssh_connect(raw) == SSH_OK else {
                throw .connect(host: configuration.host, port: configuration.port, reason: SSHClientSession.lastError(raw))
            }
            serverKey = try SSHClientSession.serverKey(of: raw, configuration)
            try SSHClientSession.verify(serverKey, session: raw, configuration)
            try SSHClientSession.authenticate(raw, identity: identity, configuration)
        } catch {
            if ssh_is_connected(raw) != 0 { ssh_disconnect(raw) }
            ssh_free(raw)
            throw error
        }
        guard let publicKey = serverKey.publicKey, let fingerprint = serverKey.sha256Fingerprint else {
            ssh_disconnect(raw)
            ssh_free(raw)
            throw .connect(host: configuration.host, port: configuration.port, reason: "cannot encode the server's host key")
        }
        self.configuration = configuration
        self.raw = raw
        self.serverHostKey = publicKey
        self.serverFingerprint = fingerprint
    }

    deinit {
        // Channels hold their session strongly, so none is alive here.
        if !isClosed { ssh_disconnect(raw) }
        ssh_free(raw)
    }

    /// True until `close()`, or until the connection dropped.
    public var isConnected: Bool {
        !isClosed && ssh_is_connected(raw) != 0
    }

    /// Opens a session channel and asks the server to run `command` on it.
    public func exec(_ command: String) throws(SSHKitError) -> SSHClientChannel {
        guard !isClosed else { throw .channelClosed }
        guard let rawChannel = ssh_channel_new(raw) else {
            throw .channel("cannot create a channel: \(lastError)")
        }
        // From here the channel object owns `rawChannel` and frees it if we throw.
        let channel = SSHClientChannel(session: self, raw: rawChannel)
        guard ssh_channel_open_session(rawChannel) == SSH_OK else {
            throw .channel("\(configuration.host) refused to open a channel: \(lastError)")
        }
        guard ssh_channel_request_exec(rawChannel, command) == SSH_OK else {
            let said = channel.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw .channel("\(configuration.host) refused to run `\(command)`" + (said.isEmpty ? "" : ": \(said)"))
        }
        return channel
    }

    /// Disconnects. Idempotent; every channel of this session becomes
    /// unusable (its calls throw `channelClosed`).
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        ssh_disconnect(raw)
    }

    /// libssh's message for the last failure on this session.
    var lastError: String {
        SSHClientSession.lastError(raw)
    }

    // MARK: - Connecting

    private static func lastError(_ raw: ssh_session) -> String {
        String(cString: ssh_get_error(UnsafeMutableRawPointer(raw)))
    }

    private static func loadIdentity(_ path: String) throws(SSHKitError) -> LibSSHKey {
        guard access(path, R_OK) == 0 else {
            throw .identityUnreadable(path: path, reason: String(cString: strerror(errno)))
        }
        var key: ssh_key?
        guard ssh_pki_import_privkey_file(path, nil, nil, nil, &key) == SSH_OK, let key else {
            throw .identityUnreadable(path: path, reason: "not an unencrypted private key that libssh can read")
        }
        let identity = LibSSHKey(taking: key)
        guard ssh_key_is_private(identity.raw) != 0 else {
            throw .identityUnreadable(path: path, reason: "it holds no private key")
        }
        return identity
    }

    private static func configure(_ raw: ssh_session, _ c: SSHClientConfiguration) throws(SSHKitError) {
        func fail(_ option: String) -> SSHKitError {
            .connect(host: c.host, port: c.port, reason: "libssh refused option \(option): \(lastError(raw))")
        }
        func set(_ option: ssh_options_e, _ name: String, _ value: String) throws(SSHKitError) {
            guard ssh_options_set(raw, option, value) == SSH_OK else { throw fail(name) }
        }
        func set(_ option: ssh_options_e, _ name: String, int value: Int32) throws(SSHKitError) {
            var value = value
            guard ssh_options_set(raw, option, &value) == SSH_OK else { throw fail(name) }
        }
        func set(_ option: ssh_options_e, _ name: String, long value: Int) throws(SSHKitError) {
            var value = value
            guard ssh_options_set(raw, option, &value) == SSH_OK else { throw fail(name) }
        }
        // First, so that nothing later reads ~/.ssh/config or
        // /etc/ssh/ssh_config (which could add a ProxyCommand).
        var processConfig = false
        guard ssh_options_set(raw, SSH_OPTIONS_PROCESS_CONFIG, &processConfig) == SSH_OK else {
            throw fail("ProcessConfig")
        }
        guard !c.host.isEmpty, !c.host.contains("@"), !c.host.contains(where: \.isWhitespace) else {
            throw .connect(host: c.host, port: c.port, reason: "not a host name or address")
        }
        guard (1...65535).contains(c.port) else {
            throw .connect(host: c.host, port: c.port, reason: "the port must be between 1 and 65535")
        }
        // libssh reads a bare IPv6 address as host:port; brackets make it literal.
        try set(SSH_OPTIONS_HOST, "Hostname", c.host.contains(":") && !c.host.hasPrefix("[") ? "[\(c.host)]" : c.host)
        try set(SSH_OPTIONS_PORT, "Port", int: Int32(c.port))
        try set(SSH_OPTIONS_USER, "User", c.user)
        let timeout = max(0.001, min(c.connectTimeout, 86_400))
        try set(SSH_OPTIONS_TIMEOUT, "ConnectTimeout", long: Int(timeout))
        try set(SSH_OPTIONS_TIMEOUT_USEC, "ConnectTimeout", long: Int((timeout - timeout.rounded(.down)) * 1e6))
        // Nagle plus delayed ACKs stall request/response traffic badly.
        try set(SSH_OPTIONS_NODELAY, "NoDelay", int: 1)
        try set(SSH_OPTIONS_STRICTHOSTKEYCHECK, "StrictHostKeyChecking", int: 1)
        switch c.hostKeyPolicy {
        case .knownHosts(let path, _):
            try set(SSH_OPTIONS_KNOWNHOSTS, "UserKnownHostsFile", KnownHostsFile.libsshPath(path))
        case .pinned:
            // Never consulted, but libssh would otherwise expand ~/.ssh paths.
            try set(SSH_OPTIONS_KNOWNHOSTS, "UserKnownHostsFile", "/dev/null")
        }
        // Only the file the operator named; /etc/ssh/ssh_known_hosts is not theirs to vouch for.
        try set(SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "GlobalKnownHostsFile", "/dev/null")
        try set(SSH_OPTIONS_KEY_EXCHANGE, "KexAlgorithms", Algorithms.keyExchange)
        try set(SSH_OPTIONS_CIPHERS_C_S, "Ciphers", Algorithms.ciphers)
        try set(SSH_OPTIONS_CIPHERS_S_C, "Ciphers", Algorithms.ciphers)
        try set(SSH_OPTIONS_HMAC_C_S, "MACs", Algorithms.macs)
        try set(SSH_OPTIONS_HMAC_S_C, "MACs", Algorithms.macs)
        try set(SSH_OPTIONS_COMPRESSION_C_S, "Compression", Algorithms.compression)
        try set(SSH_OPTIONS_COMPRESSION_S_C, "Compression", Algorithms.compression)
        try set(SSH_OPTIONS_HOSTKEYS, "HostKeyAlgorithms", Algorithms.hostKeys)
        try set(SSH_OPTIONS_PUBLICKEY_ACCEPTED_TYPES, "PubkeyAcceptedKeyTypes", Algorithms.userKeys)
    }

    private static func serverKey(of raw: ssh_session, _ c: SSHClientConfiguration) throws(SSHKitError) -> LibSSHKey {
        var key: ssh_key?
        guard ssh_get_server_publickey(raw, &key) == SSH_OK, let key else {
            throw .connect(host: c.host, port: c.port, reason: "the server sent no host key")
        }
        return LibSSHKey(taking: key)
    }

    private static func verify(_ key: LibSSHKey, session raw: ssh_session, _ c: SSHClientConfiguration) throws(SSHKitError) {
        let fingerprint = key.sha256Fingerprint ?? "an unreadable key"
        switch c.hostKeyPolicy {
        case .pinned(let expected):
            guard key.publicKey?.base64 == expected.base64 else {
                let expectedFingerprint = SSHClientSession.fingerprint(of: expected) ?? "\(expected.type) \(expected.base64)"
                throw .hostKeyMismatch(host: c.host, port: c.port, expected: expectedFingerprint, got: fingerprint)
            }
        case .knownHosts(let path, let acceptNew):
            try KnownHostsFile.checkReadable(path)
            let state = ssh_session_is_known_server(raw)
            switch state {
            case SSH_KNOWN_HOSTS_OK:
                return
            case SSH_KNOWN_HOSTS_CHANGED, SSH_KNOWN_HOSTS_OTHER:
                // OTHER (a key of another type is recorded) is refused like a
                // change: only a person can tell a rotation from an attack.
                throw .hostKeyChanged(host: c.host, port: c.port, fingerprint: fingerprint, knownHostsPath: path,
                                      lines: KnownHostsFile.lines(naming: c.host, port: c.port, in: path))
            case SSH_KNOWN_HOSTS_UNKNOWN, SSH_KNOWN_HOSTS_NOT_FOUND:
                guard acceptNew else {
                    throw .hostKeyUnknown(host: c.host, port: c.port, fingerprint: fingerprint, knownHostsPath: path)
                }
                try KnownHostsFile.prepare(path)
                guard ssh_session_update_known_hosts(raw) == SSH_OK else {
                    throw .knownHosts(path: path, reason: lastError(raw))
                }
            default:
                throw .knownHosts(path: path, reason: lastError(raw))
            }
        }
    }

    private static func authenticate(_ raw: ssh_session, identity: LibSSHKey, _ c: SSHClientConfiguration) throws(SSHKitError) {
        // The server's RFC 8308 server-sig-algs (which allows rsa-sha2-*
        // signatures) comes just before its answer to this request, and
        // libssh picks the signature algorithm before sending its own; without
        // this round trip an RSA key would be signed with SHA-1 and refused.
        guard ssh_service_request(raw, "ssh-userauth") == SSH_OK else {
            throw .connect(host: c.host, port: c.port, reason: "the server refused authentication: \(lastError(raw))")
        }
        let rc = ssh_userauth_publickey(raw, nil, identity.raw)
        if rc == SSH_AUTH_SUCCESS.rawValue { return }
        if rc == SSH_AUTH_ERROR.rawValue && ssh_is_connected(raw) == 0 {
            throw .connect(host: c.host, port: c.port, reason: "the connection dropped during authentication: \(lastError(raw))")
        }
        throw .authenticationFailed(user: c.user, host: c.host)
    }

    private static func fingerprint(of key: SSHPublicKey) -> String? {
        var raw: ssh_key?
        guard ssh_pki_import_pubkey_base64(key.base64, ssh_key_type_from_name(key.type), &raw) == SSH_OK,
              let raw else { return nil }
        return LibSSHKey(taking: raw).sha256Fingerprint
    }
}

/// A session is confined to one thread; this states it to the compiler.
@available(*, unavailable)
extension SSHClientSession: Sendable {}
