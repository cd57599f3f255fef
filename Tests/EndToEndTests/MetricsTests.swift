import Foundation
import Testing

/// `MetricsListen`: batchd serves Prometheus text on a loopback port,
/// with the catalogue's figures and the running server's.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct MetricsTests {
    /// The metrics port batchd logged.
    private func metricsPort(_ server: TestServer) throws -> Int {
        try server.waitForLog("metrics listening")
        for line in server.logText.split(separator: "\n") where line.contains("metrics listening") {
            if let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
               let port = Int(line[range].split(separator: ":").last ?? "") {
                return port
            }
        }
        throw TestFailure("no metrics port in the log:\n\(server.logText)")
    }

    private func page(_ port: Int) throws -> MetricsPage {
        let response = try HTTPProbe.metrics(port: port)
        guard response.status == 200 else { throw TestFailure("GET /metrics: \(response.status) \(response.body)") }
        return MetricsPage(response.body)
    }

    /// Polls the page until `done` holds.
    private func waitForPage(_ port: Int, timeout: Double = 30, until done: (MetricsPage) -> Bool) throws -> MetricsPage {
        let deadline = Date().addingTimeInterval(timeout)
        var last = try page(port)
        while !done(last) {
            if Date() > deadline { throw TestFailure("metrics never settled:\n\(last.samples.map { "\($0)" }.joined(separator: "\n"))") }
            usleep(100_000)
            last = try page(port)
        }
        return last
    }

    @Test func dropAndDeliveryShowInTheMetrics() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "MetricsListen 127.0.0.1:0")
        defer { server.stop() }
        let port = try metricsPort(server)
        #expect(port != server.port)
        let bobKey = server.directory.appendingPathComponent("bob").path

        let before = try page(port)
        #expect(before.value("batchd_subscribers_connected") == 0)
        #expect(before.value("batchd_target_connected", ["target": "bob"]) == 0)
        #expect(before.value("batchd_batches", ["state": "sealed"]) == 0)

        // A login with a key batchd does not know counts as a failure.
        let stranger = try server.makeKey("stranger")
        #expect(try server.ssh("alice", key: stranger, ["batches"]).status == 255)

        let bob = try TestReceiver(server: server, user: "bob", key: bobKey)
        defer { bob.stop() }
        _ = try waitForPage(port) { $0.value("batchd_target_connected", ["target": "bob"]) == 1 }

        let file = server.directory.appendingPathComponent("payload.bin")
        try Tree.writeRandomFile(at: file, size: 2_000_000)
        try server.scp([file.path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess("scp")
        _ = try bob.waitForFile("1-ops.tar.gz")
        let size = try #require(try server.batch(1)["size"] as? Int)

        let after = try waitForPage(port) { $0.value("batchd_deliveries_total") == 1 }
        #expect(after.problems.isEmpty, "\(after.problems)")
        #expect(after.value("batchd_catalogue_up") == 1)
        #expect(after.value("batchd_batches", ["state": "sealed"]) == 1)
        #expect(after.value("batchd_batches", ["state": "open"]) == 0)
        #expect(after.value("batchd_sealed_bytes") == Double(size))
        #expect(after.value("batchd_dropped_bytes_total") == Double(size))
        #expect(after.value("batchd_offers", ["state": "delivered"]) == 1)
        #expect(after.value("batchd_delivered_bytes_total", ["source": "server"]) == Double(size))
        #expect(after.value("batchd_delivered_bytes_total", ["source": "peer"]) == 0)
        #expect(after.value("batchd_users", ["role": "target"]) == 1)
        #expect(after.value("batchd_topics") == 1)
        #expect(after.value("batchd_ingested_bytes_total") == 2_000_000)
        #expect(after.value("batchd_uploads_in_progress") == 0)
        #expect(after.value("batchd_subscribers_connected") == 1)
        #expect(after.value("batchd_target_connected", ["target": "bob"]) == 1)
        #expect((after.value("batchd_sessions_authenticated") ?? 0) >= 1)
        #expect((after.value("batchd_connections") ?? 0) >= (after.value("batchd_sessions_authenticated") ?? 0))
        #expect((after.value("batchd_authentication_failures_total") ?? 0) >= 1)
        let delivered = try #require(after.value("batchd_target_last_delivery_timestamp_seconds", ["target": "bob"]))
        #expect(abs(delivered - Date().timeIntervalSince1970) < 120)
        let started = try #require(after.value("batchd_start_time_seconds"))
        #expect(started <= delivered)

        // bob leaves: the live figures follow.
        bob.stop()
        let gone = try waitForPage(port) { $0.value("batchd_subscribers_connected") == 0 }
        #expect(gone.value("batchd_target_connected", ["target": "bob"]) == 0)
        #expect(gone.value("batchd_deliveries_total") == 1)
    }

    @Test func pageFollowsTheExpositionFormat() throws {
        let (server, _) = try TestServer.withAliceBobAndOps(extraConfig: "MetricsListen 127.0.0.1:0")
        defer { server.stop() }
        let response = try HTTPProbe.metrics(port: try metricsPort(server))
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(response.headers["content-length"] == String(response.body.utf8.count))
        let page = MetricsPage(response.body)
        #expect(page.problems.isEmpty, "\(page.problems)")
        #expect(page.samples.count > 20)
        #expect(Set(page.help.keys) == Set(page.types.keys))
        for (name, type) in page.types {
            #expect(name.hasPrefix("batchd_"), "\(name)")
            #expect((type == "counter") == name.hasSuffix("_total"), "\(name) is a \(type)")
            #expect(page.help[name]?.isEmpty == false, "\(name) has no help")
        }
        #expect(Set(page.samples.map(\.name)).isSubset(of: Set(page.types.keys)))
        for name in ["batchd_connections", "batchd_sessions_authenticated", "batchd_subscribers_connected",
                     "batchd_uploads_in_progress", "batchd_ingested_bytes_total", "batchd_authentication_failures_total",
                     "batchd_penalized_addresses", "batchd_batches", "batchd_offers", "batchd_deliveries_total",
                     "batchd_delivered_bytes_total", "batchd_sealed_bytes"] {
            #expect(page.types[name] != nil, "\(name) missing")
        }
    }

    @Test func onlyGetMetricsIsServed() throws {
        let (server, _) = try TestServer.withAliceBobAndOps(extraConfig: "MetricsListen 127.0.0.1:0")
        defer { server.stop() }
        let port = try metricsPort(server)
        #expect(try HTTPProbe.exchange(port: port, "GET / HTTP/1.1\r\n\r\n").status == 404)
        #expect(try HTTPProbe.exchange(port: port, "GET /metrics/x HTTP/1.0\r\n\r\n").status == 404)
        #expect(try HTTPProbe.exchange(port: port, "hello\r\n\r\n").status == 400)
        #expect(try HTTPProbe.exchange(port: port, "GET /metrics HTTP/9\r\n\r\n").status == 400)
        let post = try HTTPProbe.exchange(port: port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        #expect(post.status == 405)
        #expect(post.headers["allow"] == "GET, HEAD")
        let oversized = "GET /metrics HTTP/1.1\r\n" + String(repeating: "X-Filler: \(String(repeating: "y", count: 100))\r\n", count: 100)
        #expect(try HTTPProbe.exchange(port: port, oversized).status == 400)
        let head = try HTTPProbe.exchange(port: port, "HEAD /metrics HTTP/1.1\r\n\r\n")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(Int(head.headers["content-length"] ?? "") ?? 0 > 0)
        // A client that connects and says nothing holds the endpoint for at
        // most its timeout; a scrape after it is answered, and SSH never waits.
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(silent, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let alice = server.directory.appendingPathComponent("alice").path
        let start = Date()
        #expect(try server.ssh("alice", key: alice, ["batches"]).status == 0)
        #expect(try HTTPProbe.metrics(port: port).status == 200)
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(server.isRunning)
    }

    @Test func metricsListenNeedsARestart() throws {
        let (server, _) = try TestServer.withAliceBobAndOps(extraConfig: "MetricsListen 127.0.0.1:0")
        defer { server.stop() }
        let port = try metricsPort(server)
        try server.reload(extraConfig: "MetricsListen none")
        try server.waitForLog("configuration reloaded")
        #expect(server.logText.contains("needs restart=MetricsListen"))
        #expect(try HTTPProbe.metrics(port: port).status == 200)
    }
}
