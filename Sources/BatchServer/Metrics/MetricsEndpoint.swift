import BatchCore
import Foundation
import Logging
import Synchronization

/// The Prometheus endpoint: a loopback TCP socket served by one thread of
/// its own, which answers `GET /metrics` and nothing else. A scrape reads
/// the catalogue on this thread, never on an SSH loop; a slow or silent
/// client holds only this thread, and only for `timeout`.
final class MetricsEndpoint: @unchecked Sendable {
    /// The largest request head read; a scraper's is a few hundred bytes.
    static let maxRequest = 8 << 10
    /// How long a client has to send its request and take the answer, in seconds.
    static let timeout = 2

    /// The port bound (the configured one, or the one picked for port 0).
    let boundPort: Int
    /// The address as it would be written in the config, with the bound port.
    var address: HostPort { HostPort(host: host, port: boundPort) }

    private let host: String
    private let descriptor: Int32
    private let logger: Logger
    private let stopFlag = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    // Set once by start(), read only by the serving thread it starts.
    private var thread: Thread?

    /// Binds `address`, which the configuration checked is a loopback one.
    init(address: HostPort, logger: Logger) throws(MetricsError) {
        host = address.host
        self.logger = logger
        let ipv6 = address.host.contains(":")
        let numeric = address.host.lowercased() == "localhost" ? "127.0.0.1" : address.host
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .cannotListen(address: address.description, reason: String(cString: strerror(errno))) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound: Int32
        if ipv6 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = in_port_t(UInt16(address.port).bigEndian)
            inet_pton(AF_INET6, numeric, &sin6.sin6_addr)
            bound = withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = in_port_t(UInt16(address.port).bigEndian)
            inet_pton(AF_INET, numeric, &sin.sin_addr)
            bound = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .cannotListen(address: address.description, reason: reason)
        }
        descriptor = fd
        boundPort = MetricsEndpoint.localPort(of: fd) ?? address.port
    }

    deinit {
        close(descriptor)
    }

    /// Starts serving on a thread of its own; `render` makes the page.
    func start(render: @escaping @Sendable () -> String) {
        let thread = Thread { [self] in
            serve(render: render)
            done.signal()
        }
        thread.name = "metrics"
        self.thread = thread
        thread.start()
    }

    /// Stops accepting and returns once the thread is gone.
    func stop() {
        guard !stopFlag.exchange(true, ordering: .acquiringAndReleasing), thread != nil else { return }
        done.wait()
        // The thread's closure holds this endpoint and the page's renderer
        // (the server's whole graph); dropping the thread ends that cycle.
        thread = nil
    }

    private func serve(render: @Sendable () -> String) {
        while !stopFlag.load(ordering: .acquiring) {
            var pfd = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) > 0 else { continue }
            let client = accept(descriptor, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            answer(client, render: render)
            closeGracefully(client)
        }
    }

    /// Closes after the client has read the answer: a close with request
    /// bytes still unread (a refused oversized request) would reset the
    /// connection and could lose the answer, so what is left is drained
    /// for a moment first.
    private func closeGracefully(_ client: Int32) {
        shutdown(client, Int32(SHUT_WR))
        var limit = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<16 {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
        }
        close(client)
    }

    private func answer(_ client: Int32, render: @Sendable () -> String) {
        var limit = timeval(tv_sec: MetricsEndpoint.timeout, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard let request = readHead(client) else { return }
        guard let head = HTTPRequestHead(parsing: request) else {
            return respond(client, status: "400 Bad Request", body: "batchd: not an HTTP/1.x request\n")
        }
        guard head.path == "/metrics" else {
            return respond(client, status: "404 Not Found", body: "batchd: only /metrics is served here\n")
        }
        guard head.method == "GET" || head.method == "HEAD" else {
            return respond(client, status: "405 Method Not Allowed", body: "batchd: /metrics answers GET and HEAD\n",
                           extraHeaders: "Allow: GET, HEAD\r\n")
        }
        let started = Date()
        let page = render()
        respond(client, status: "200 OK", body: page, contentType: PrometheusText.contentType, withBody: head.method == "GET")
        logger.debug("metrics scraped", metadata: ["bytes": "\(page.utf8.count)",
                                                   "ms": "\(Int(Date().timeIntervalSince(started) * 1000))"])
    }

    /// The request head, or nil when the client sent nothing usable in
    /// time; a head over the size cap is answered 400 here.
    private func readHead(_ client: Int32) -> [UInt8]? {
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        let deadline = Date().addingTimeInterval(Double(MetricsEndpoint.timeout))
        while !HTTPRequestHead.isComplete(request) {
            guard request.count < MetricsEndpoint.maxRequest else {
                respond(client, status: "400 Bad Request", body: "batchd: request larger than \(MetricsEndpoint.maxRequest) bytes\n")
                return nil
            }
            guard Date() < deadline else { return nil }
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                // The client closed early or timed out: answer what came, if anything.
                if !request.isEmpty { respond(client, status: "400 Bad Request", body: "batchd: incomplete request\n") }
                return nil
            }
            request.append(contentsOf: buffer[0..<n])
        }
        return request
    }

    private func respond(_ client: Int32, status: String, body: String, contentType: String = "text/plain; charset=utf-8",
                         extraHeaders: String = "", withBody: Bool = true) {
        let bytes = Array(body.utf8)
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bytes.count)\r\n"
            + extraHeaders + "Connection: close\r\n\r\n"
        var out = Array(head.utf8)
        if withBody { out += bytes }
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            sent += n
        }
    }

    private static func localPort(of fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard ok == 0 else { return nil }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer in
            if family == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }
}
