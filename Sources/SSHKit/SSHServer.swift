import CLibSSH
import Foundation
import Locking
import Synchronization

/// The SSH listener: accepts connections on one thread and hands each at
/// once to one of a few event loops, which run its key exchange, login and
/// channels without blocking.
public final class SSHServer: @unchecked Sendable {
    /// The settings in force; `updateLimits` may change the limits.
    public var configuration: SSHServerConfiguration { settings.withLock { $0 } }
    private let settings: Locked<SSHServerConfiguration>
    public let hostKey: HostKey
    /// The RSA host key offered beside it, when configured.
    public let rsaHostKey: HostKey?
    let delegate: SSHServerDelegate
    private let bind: ssh_bind
    private let loops: [SSHEventLoop]
    private let stopFlag = Atomic<Bool>(false)
    private let nextSessionID = Atomic<UInt64>(1)
    /// Connections accepted that have not authenticated yet, by id, so the
    /// oldest can make room when MaxStartups is reached.
    private let unauthenticated = Locked<[UInt64: SSHServerSession]>([:])
    /// Authenticated connections per user, for MaxSessionsPerUser.
    private let userSessions = Locked<[String: Int]>([:])
    /// The same per source address, and each address's penalty.
    private let sourceTracker: SourceTracker
    /// Connections accepted and not yet freed, and of those the
    /// authenticated ones; failures and refusals since start. For metrics.
    private let openConnections = Atomic<Int>(0)
    private let authenticatedSessions = Atomic<Int>(0)
    private let authenticationFailures = Atomic<Int>(0)
    private let refusedConnections = Atomic<Int>(0)
    private var acceptThread: Thread?
    private let acceptDone = DispatchSemaphore(value: 0)
    /// The port actually bound (useful when configured as 0).
    public private(set) var boundPort: Int = 0

    /// Loads or creates the host key and binds the listening socket.
    public init(configuration: SSHServerConfiguration, delegate: SSHServerDelegate) throws(SSHKitError) {
        settings = Locked(configuration)
        self.delegate = delegate
        sourceTracker = SourceTracker(perSourceLimit: configuration.perSourceMaxStartups,
                                      policy: configuration.perSourcePenalties)
        ssh_init()
        hostKey = try HostKey.loadOrCreate(path: configuration.hostKeyPath)
        rsaHostKey = try configuration.rsaHostKeyPath.map { path throws(SSHKitError) in try HostKey.loadOrCreate(path: path, type: .rsa) }
        guard let bind = ssh_bind_new() else { throw .eventLoop("ssh_bind_new failed") }
        self.bind = bind
        var loops: [SSHEventLoop] = []
        do {
            for i in 0..<max(1, configuration.eventLoops) {
                loops.append(try SSHEventLoop(index: i))
            }
            self.loops = loops
            try SSHServer.configure(bind, configuration)
        } catch {
            ssh_bind_free(bind)
            throw error
        }
        guard ssh_bind_listen(bind) == SSH_OK else {
            let reason = String(cString: ssh_get_error(UnsafeMutableRawPointer(bind)))
            ssh_bind_free(bind)
            throw .listen(address: configuration.address, port: configuration.port, reason: reason)
        }
        // libssh opens its sockets without close-on-exec; no child of the
        // server (a pre-seal hook) may keep the port or a client's socket.
        _ = fcntl(ssh_bind_get_fd(bind), F_SETFD, FD_CLOEXEC)
        boundPort = SSHServer.localPort(of: ssh_bind_get_fd(bind)) ?? configuration.port
    }

    deinit {
        ssh_bind_free(bind)
    }

    private static func configure(_ bind: ssh_bind, _ c: SSHServerConfiguration) throws(SSHKitError) {
        func set(_ option: ssh_bind_options_e, _ name: String, _ value: String) throws(SSHKitError) {
            guard ssh_bind_options_set(bind, option, value) == SSH_OK else {
                throw .bindOption(option: name, reason: String(cString: ssh_get_error(UnsafeMutableRawPointer(bind))))
            }
        }
        // Never read /etc/ssh/libssh_server_config behind the operator's back.
        var processConfig = false
        guard ssh_bind_options_set(bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &processConfig) == SSH_OK else {
            throw .bindOption(option: "PROCESS_CONFIG", reason: "refused")
        }
        try set(SSH_BIND_OPTIONS_BINDADDR, "ListenAddress", c.address)
        var port = Int32(c.port)
        guard ssh_bind_options_set(bind, SSH_BIND_OPTIONS_BINDPORT, &port) == SSH_OK else {
            throw .bindOption(option: "port", reason: "invalid port \(c.port)")
        }
        try set(SSH_BIND_OPTIONS_HOSTKEY, "HostKey", c.hostKeyPath)
        if let rsa = c.rsaHostKeyPath { try set(SSH_BIND_OPTIONS_HOSTKEY, "HostKey", rsa) }
        func list(_ kind: Algorithms.Kind) -> String { c.offered(kind).joined(separator: ",") }
        try set(SSH_BIND_OPTIONS_KEY_EXCHANGE, "KexAlgorithms", list(.keyExchange))
        try set(SSH_BIND_OPTIONS_CIPHERS_C_S, "Ciphers", list(.ciphers))
        try set(SSH_BIND_OPTIONS_CIPHERS_S_C, "Ciphers", list(.ciphers))
        try set(SSH_BIND_OPTIONS_HMAC_C_S, "MACs", list(.macs))
        try set(SSH_BIND_OPTIONS_HMAC_S_C, "MACs", list(.macs))
        // Only algorithms a loaded key can sign with.
        let hostKeys = c.offered(.hostKeys).filter { c.rsaHostKeyPath != nil || !Algorithms.isRSA($0) }
        guard !hostKeys.isEmpty else {
            throw .bindOption(option: "HostKeyAlgorithms", reason: "no listed algorithm fits the host keys (\(list(.hostKeys)))")
        }
        try set(SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, "HostKeyAlgorithms", hostKeys.joined(separator: ","))
        try set(SSH_BIND_OPTIONS_PUBKEY_ACCEPTED_KEY_TYPES, "PubkeyAcceptedKeyTypes", Algorithms.userKeys)
        var rsaMin = Algorithms.rsaMinimumBits
        guard ssh_bind_options_set(bind, SSH_BIND_OPTIONS_RSA_MIN_SIZE, &rsaMin) == SSH_OK else {
            throw .bindOption(option: "RSA_MIN_SIZE", reason: "refused")
        }
    }

    /// Starts the loops and the accept thread; returns at once.
    public func start() {
        for loop in loops { loop.start() }
        ssh_bind_set_blocking(bind, 0)
        let thread = Thread { [self] in
            acceptLoop()
            acceptDone.signal()
        }
        thread.name = "ssh-accept"
        acceptThread = thread
        thread.start()
    }

    /// Stops accepting, closes every session (their channel handlers see
    /// `channelClosed`), and returns when the accept thread is gone.
    public func stop() {
        guard !stopFlag.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if acceptThread != nil { acceptDone.wait() }
        // The accept thread's closure holds the server; dropping the
        // thread ends that cycle, so a stopped server and its delegate
        // are freed.
        acceptThread = nil
        for loop in loops { loop.stop() }
        for loop in loops { loop.waitUntilStopped() }
    }

    /// Number of sessions currently owned by the loops.
    public var sessionCount: Int {
        loops.reduce(0) { $0 + $1.sessionCount.load(ordering: .relaxed) }
    }

    private func acceptLoop() {
        let fd = ssh_bind_get_fd(bind)
        var backoff = AcceptBackoff()
        while !stopFlag.load(ordering: .acquiring) {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 200)
            guard ready > 0 else { continue }
            guard let raw = ssh_new() else {
                backoff.failed()
                continue
            }
            var processConfig = false
            ssh_options_set(raw, SSH_OPTIONS_PROCESS_CONFIG, &processConfig)
            guard ssh_bind_accept(bind, raw) == SSH_OK else {
                // Out of descriptors (EMFILE) leaves the connection in the
                // backlog and the socket readable: wait, do not spin.
                let reason = String(cString: ssh_get_error(UnsafeMutableRawPointer(bind)))
                ssh_free(raw)
                if backoff.failed() {
                    delegate.sessionEvent(.acceptFailed(reason: reason, retryIn: backoff.delay))
                }
                continue
            }
            backoff.succeeded()
            let socket = ssh_get_fd(raw)
            _ = fcntl(socket, F_SETFD, FD_CLOEXEC)
            let peer = SSHServer.peerAddress(of: socket)
            if let reason = sourceTracker.admit(peer.host) {
                refusedConnections.add(1, ordering: .relaxed)
                delegate.sessionEvent(.refused(peer: peer, reason: reason))
                ssh_free(raw)
                continue
            }
            openConnections.add(1, ordering: .relaxed)
            SSHServer.setNoDelay(socket)
            // No compression (ssh_bind has no such option): see Algorithms.compression.
            ssh_options_set(raw, SSH_OPTIONS_COMPRESSION_C_S, Algorithms.compression)
            ssh_options_set(raw, SSH_OPTIONS_COMPRESSION_S_C, Algorithms.compression)
            let id = nextSessionID.wrappingAdd(1, ordering: .relaxed).oldValue
            let loop = loops.min { $0.sessionCount.load(ordering: .relaxed) < $1.sessionCount.load(ordering: .relaxed) }!
            let session = SSHServerSession(id: id, raw: raw, peer: peer, server: self, loop: loop)
            delegate.sessionEvent(.connected(id: id, peer: peer))
            makeRoom(for: session)
            loop.adopt(session)
        }
    }

    /// Counts a new unauthenticated connection. At MaxStartups the oldest
    /// one still logging in (the lowest id: ids grow with each accept) is
    /// closed to make room: a flood of silent or stalling connections then
    /// only ever holds the newest slots, and a real client, which logs in
    /// within milliseconds, gets in.
    private func makeRoom(for session: SSHServerSession) {
        let limit = configuration.maxStartups
        let evicted = unauthenticated.withLock { table -> SSHServerSession? in
            table[session.id] = session
            guard table.count > limit, let oldest = table.keys.min() else { return nil }
            return table.removeValue(forKey: oldest)
        }
        guard let evicted else { return }
        let reason = "closed to make room for a newer connection (MaxStartups \(limit))"
        refusedConnections.add(1, ordering: .relaxed)
        delegate.sessionEvent(.refused(peer: evicted.peer, reason: reason))
        evicted.loop.execute {
            // It may have logged in meanwhile; then it keeps its place.
            guard !evicted.isAuthenticated else { return }
            evicted.requestDisconnect(reason)
        }
    }

    /// Applies new authentication limits to new connections and to the
    /// ones still logging in: grace time, tries, startups, per-source caps
    /// and penalties, idle timeout. The address, host key and loops stay.
    public func updateLimits(_ new: SSHServerConfiguration) {
        settings.withLock { $0.takeLimits(from: new) }
        sourceTracker.update(perSourceLimit: new.perSourceMaxStartups, policy: new.perSourcePenalties)
    }

    /// The figures for metrics, read now.
    public var statistics: SSHServerStatistics {
        SSHServerStatistics(
            connections: openConnections.load(ordering: .relaxed),
            authenticated: authenticatedSessions.load(ordering: .relaxed),
            authenticationFailures: authenticationFailures.load(ordering: .relaxed),
            refusedConnections: refusedConnections.load(ordering: .relaxed),
            penalizedSources: sourceTracker.penalizedCount())
    }

    func sessionAuthenticated(_ session: SSHServerSession) {
        let peer = session.peer
        unauthenticated.withLock { _ = $0.removeValue(forKey: session.id) }
        authenticatedSessions.add(1, ordering: .relaxed)
        sourceTracker.authenticated(peer.host)
    }

    /// Counts a new session of `user`, or says why it may not have one.
    func admitSession(of user: String) -> String? {
        let limit = configuration.maxSessionsPerUser
        return userSessions.withLock { table in
            let open = table[user, default: 0]
            guard open < limit else {
                return "user '\(user)' already has \(open) connections open (MaxSessionsPerUser \(limit)); close one and try again"
            }
            table[user] = open + 1
            return nil
        }
    }

    /// A session admitted by `admitSession(of:)` ended.
    func sessionEnded(of user: String) {
        userSessions.withLock { table in
            let open = table[user, default: 0] - 1
            table[user] = open > 0 ? open : nil
        }
    }

    func authenticationFailed() {
        authenticationFailures.add(1, ordering: .relaxed)
    }

    /// A session accepted by the accept loop was freed.
    func sessionFreed(wasAuthenticated: Bool) {
        openConnections.subtract(1, ordering: .relaxed)
        if wasAuthenticated { authenticatedSessions.subtract(1, ordering: .relaxed) }
    }

    func sessionEndedUnauthenticated(_ session: SSHServerSession, offence: SourceOffence) {
        let peer = session.peer
        unauthenticated.withLock { _ = $0.removeValue(forKey: session.id) }
        sourceTracker.ended(peer.host, offence: offence)
    }

    // MARK: - Sockets

    /// Nagle plus delayed ACKs stall SFTP's request/response traffic badly
    /// (measured 37–316 MB/s instead of ~336), so every socket sets NODELAY.
    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    static func peerAddress(of fd: Int32) -> PeerAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard ok == 0 else { return .unknown }
        return describe(storage)
    }

    static func localPort(of fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard ok == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        default:
            return nil
        }
    }

    private static func describe(_ storage: sockaddr_storage) -> PeerAddress {
        var storage = storage
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, socklen_t(MemoryLayout<sockaddr_storage>.size), &host, socklen_t(host.count),
                            &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard rc == 0 else { return .unknown }
        let h = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let s = String(decoding: service.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return PeerAddress(host: h, port: Int(s))
    }
}
