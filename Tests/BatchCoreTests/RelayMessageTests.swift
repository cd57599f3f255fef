import Foundation
import Testing
@testable import BatchCore

private let carolHostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJzmts5oErpmC1sE1+kTyl4+PYA2wgNLwiFIo3vwjcMN"
private let daveUserKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL9wyhgW13AOIEa+jcY8YAqhgiPYHh22GGEVzCmMFfXZ"

private func decode(_ json: String) throws(ProtocolError) -> SubscriptionMessage {
    try SubscriptionMessage.decode(payload: Array(json.utf8))
}

private func expectRefused(_ json: String, _ expected: ProtocolError, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(throws: expected, sourceLocation: sourceLocation) { try decode(json) }
}

/// Expects decoding to fail on `field` of a message of `type`, whatever the reason.
private func expectBadField(
    _ json: String, type: String, field: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        let message = try decode(json)
        Issue.record("accepted as \(message)", sourceLocation: sourceLocation)
    } catch {
        guard case .badField(type, field, _) = error else {
            Issue.record("\(error) is not about \(type).\(field)", sourceLocation: sourceLocation)
            return
        }
    }
}

private func helloJSON(_ extra: String) -> String {
    #"{"v":1,"type":"hello","user":"carol","software":"batchd-recv 1.0"\#(extra)}"#
}

private let carolSource = #"{"name":"carol","address":"198.18.0.3:2300","host_key":"\#(carolHostKey)"}"#
private let serverSource = #"{"name":"server","address":null,"host_key":null}"#
private let daveGrant = #"{"user":"dave","keys":["\#(daveUserKey)"]}"#

private func planJSON(sources: [String] = [carolSource, serverSource], grants: [String] = [daveGrant]) -> String {
    #"{"v":1,"type":"plan","batch":42,"sources":[\#(sources.joined(separator: ","))],"#
        + #""grants":[\#(grants.joined(separator: ","))]}"#
}

private func sampleJSON(_ members: String) -> String {
    #"{"v":1,"type":"sample","batch":42,"source":"carol","bytes":1000,\#(members)}"#
}

/// The relay additions to the subscription protocol: the hello's listener,
/// the server's plan, and the subscriber's link samples.
@Suite struct RelayMessageTests {
    // MARK: - hello

    @Test func helloWithoutListenerHasNeither() throws {
        #expect(try decode(helloJSON("")) == .hello(Hello(user: "carol", software: "batchd-recv 1.0")))
        #expect(try decode(helloJSON(#","listen":null,"host_key":null"#))
            == .hello(Hello(user: "carol", software: "batchd-recv 1.0")))
    }

    @Test func helloListenerNeedsItsHostKeyAndTheKeyItsListener() {
        expectRefused(helloJSON(#","listen":"198.18.0.3:2300""#),
                      .badField(type: "hello", field: "host_key",
                                reason: "must be given with listen, so peers can pin the listener"))
        expectRefused(helloJSON(#","host_key":"\#(carolHostKey)""#),
                      .badField(type: "hello", field: "listen", reason: "must be given with host_key"))
    }

    @Test func helloListenerMayBeEveryAddressButNotPortZero() throws {
        let wildcard = try decode(helloJSON(#","listen":"*:2300","host_key":"\#(carolHostKey)""#))
        #expect(wildcard == .hello(Hello(
            user: "carol", software: "batchd-recv 1.0", listen: "*:2300", hostKey: carolHostKey)))
        expectRefused(helloJSON(#","listen":"*:0","host_key":"\#(carolHostKey)""#),
                      .badField(type: "hello", field: "listen",
                                reason: "'*:0' has port 0, which no peer can connect to"))
        for listen in ["198.18.0.3", "198.18.0.3:70000", "a b:22", ":22", "::1:22"] {
            expectBadField(helloJSON(#","listen":"\#(listen)","host_key":"\#(carolHostKey)""#),
                           type: "hello", field: "listen")
        }
        #expect(throws: Never.self) {
            try decode(helloJSON(#","listen":"[2001:db8::3]:2300","host_key":"\#(carolHostKey)""#))
        }
    }

    @Test func hostKeysMustBeBareCanonicalPublicKeys() {
        let listen = #","listen":"198.18.0.3:2300","host_key":"#
        expectRefused(helloJSON(listen + #""\#(carolHostKey) carol@host""#),
                      .badField(type: "hello", field: "host_key",
                                reason: "must be TYPE BASE64 with one space and no comment"))
        expectRefused(helloJSON(listen + #""\#(carolHostKey.replacingOccurrences(of: " ", with: "  "))""#),
                      .badField(type: "hello", field: "host_key",
                                reason: "must be TYPE BASE64 with one space and no comment"))
        for key in ["ssh-ed25519", "ssh-ed25519 !!!", "ssh-dss AAAAB3NzaC1kc3M=", "", "ssh-rsa " + carolHostKey.dropFirst(12)] {
            expectBadField(helloJSON(listen + #""\#(key)""#), type: "hello", field: "host_key")
        }
    }

    @Test func helloCodableUsesTheWireFieldNames() throws {
        let hello = Hello(user: "carol", software: "x", listen: "198.18.0.3:2300", hostKey: carolHostKey)
        let text = String(decoding: try JSONEncoder().encode(hello), as: UTF8.self)
        #expect(text.contains(#""host_key""#))
        #expect(try JSONDecoder().decode(Hello.self, from: Data(text.utf8)) == hello)
        let bare = try JSONDecoder().decode(Hello.self, from: Data(#"{"user":"bob","software":"x"}"#.utf8))
        #expect(bare == Hello(user: "bob", software: "x"))
    }

    // MARK: - granted

    @Test func grantedRoundTripsAndChecksItsNames() throws {
        let message = SubscriptionMessage.granted(batch: 42, users: ["carol", "dave"])
        let frame = message.encodeFrame()
        #expect(try decode(String(decoding: frame.dropFirst(4), as: UTF8.self)) == message)
        #expect(try decode(#"{"v":1,"type":"granted","batch":42,"users":[]}"#) == .granted(batch: 42, users: []))
        expectBadField(#"{"v":1,"type":"granted","batch":42,"users":["../x"]}"#, type: "granted", field: "users[0]")
        expectBadField(#"{"v":1,"type":"granted","batch":42,"users":[7]}"#, type: "granted", field: "users[0]")
        let many = Array(repeating: #""u""#, count: Plan.maxEntries + 1).joined(separator: ",")
        expectBadField(#"{"v":1,"type":"granted","batch":42,"users":[\#(many)]}"#, type: "granted", field: "users")
    }

    // MARK: - plan

    @Test func planDecodesSourcesInOrderAndGrants() throws {
        let plan = Plan(
            batch: 42,
            sources: [PlanSource(name: "carol", address: "198.18.0.3:2300", hostKey: carolHostKey), .server],
            grants: [PeerGrant(user: "dave", keys: [daveUserKey])])
        #expect(try decode(planJSON()) == .plan(plan))
        #expect(plan.sources.map(\.isServer) == [false, true])
        // Absent address and host key of the server read as null.
        #expect(try decode(planJSON(sources: [#"{"name":"server"}"#], grants: []))
            == .plan(Plan(batch: 42, sources: [.server], grants: [])))
    }

    @Test func theServerHasNoAddressOrHostKey() {
        expectRefused(planJSON(sources: [#"{"name":"server","address":"198.18.0.1:22","host_key":null}"#]),
                      .badField(type: "plan", field: "sources[0].address", reason: "must be null for the server"))
        expectRefused(planJSON(sources: [#"{"name":"server","host_key":"\#(carolHostKey)"}"#]),
                      .badField(type: "plan", field: "sources[0].host_key", reason: "must be null for the server"))
    }

    @Test func aPeerSourceNeedsAnAddressAndAHostKeyToPin() {
        expectRefused(planJSON(sources: [#"{"name":"carol","address":null,"host_key":"\#(carolHostKey)"}"#]),
                      .badField(type: "plan", field: "sources[0].address", reason: "is needed to reach peer 'carol'"))
        expectRefused(planJSON(sources: [serverSource, #"{"name":"carol","address":"198.18.0.3:2300"}"#]),
                      .badField(type: "plan", field: "sources[1].host_key", reason: "is needed to pin peer 'carol'"))
        expectRefused(planJSON(sources: [#"{"name":"carol","address":"*:2300","host_key":"\#(carolHostKey)"}"#]),
                      .badField(type: "plan", field: "sources[0].address",
                                reason: "'*:2300' names no host a peer can connect to"))
        expectBadField(planJSON(sources: [#"{"name":"carol","address":"carol","host_key":"\#(carolHostKey)"}"#]),
                       type: "plan", field: "sources[0].address")
        expectBadField(planJSON(sources: [#"{"name":"carol","address":"198.18.0.3:2300","host_key":"x"}"#]),
                       type: "plan", field: "sources[0].host_key")
    }

    @Test func planNamesAreCheckedAndListedOnce() {
        expectBadField(planJSON(sources: [#"{"name":"../carol"}"#]), type: "plan", field: "sources[0].name")
        expectRefused(planJSON(sources: [carolSource, carolSource]),
                      .badField(type: "plan", field: "sources[1].name", reason: "'carol' is listed twice"))
        expectRefused(planJSON(grants: [daveGrant, daveGrant]),
                      .badField(type: "plan", field: "grants[1].user", reason: "'dave' is listed twice"))
        expectBadField(planJSON(grants: [#"{"user":"da ve","keys":[]}"#]), type: "plan", field: "grants[0].user")
        expectRefused(planJSON(sources: []),
                      .badField(type: "plan", field: "sources", reason: "must name at least one source"))
    }

    @Test func grantKeysMustBePublicKeys() throws {
        expectRefused(planJSON(grants: [#"{"user":"dave","keys":[7]}"#]),
                      .badField(type: "plan", field: "grants[0].keys[0]", reason: "must be a string, not an integer"))
        expectBadField(planJSON(grants: [#"{"user":"dave","keys":["\#(daveUserKey)","nope"]}"#]),
                       type: "plan", field: "grants[0].keys[1]")
        expectRefused(planJSON(grants: [#"{"user":"dave"}"#]), .missingField(type: "plan", field: "grants[0].keys"))
        #expect(try decode(planJSON(grants: [#"{"user":"dave","keys":[]}"#]))
            == .plan(Plan(batch: 42, sources: [PlanSource(name: "carol", address: "198.18.0.3:2300", hostKey: carolHostKey), .server],
                          grants: [PeerGrant(user: "dave", keys: [])])))
    }

    @Test func planListsAreBounded() throws {
        let sources = (0 ..< 1024).map { #"{"name":"t\#($0)","address":"198.18.0.3:\#(2000 + $0)","host_key":"\#(carolHostKey)"}"# }
        guard case .plan(let plan) = try decode(planJSON(sources: sources)) else {
            Issue.record("not a plan")
            return
        }
        #expect(plan.sources.count == 1024)
        expectRefused(planJSON(sources: sources + [serverSource]),
                      .badField(type: "plan", field: "sources", reason: "has 1025 entries, more than 1024"))
        let grants = (0 ... 1024).map { #"{"user":"u\#($0)","keys":[]}"# }
        expectRefused(planJSON(grants: grants),
                      .badField(type: "plan", field: "grants", reason: "has 1025 entries, more than 1024"))
    }

    @Test func planNeedsItsFields() {
        expectRefused(#"{"v":1,"type":"plan","batch":42,"grants":[]}"#, .missingField(type: "plan", field: "sources"))
        expectRefused(#"{"v":1,"type":"plan","batch":42,"sources":[\#(serverSource)]}"#,
                      .missingField(type: "plan", field: "grants"))
        expectRefused(#"{"v":1,"type":"plan","sources":[\#(serverSource)],"grants":[]}"#,
                      .missingField(type: "plan", field: "batch"))
        expectRefused(#"{"v":1,"type":"plan","batch":42,"sources":{},"grants":[]}"#,
                      .badField(type: "plan", field: "sources", reason: "must be an array, not an object"))
    }

    @Test func planCodableUsesTheWireFieldNames() throws {
        let plan = Plan(
            batch: 7, sources: [PlanSource(name: "carol", address: "198.18.0.3:2300", hostKey: carolHostKey), .server],
            grants: [PeerGrant(user: "dave", keys: [daveUserKey])])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(plan), as: UTF8.self)
        #expect(text.contains(#""host_key":"ssh-ed25519"#))
        #expect(try JSONDecoder().decode(Plan.self, from: Data(text.utf8)) == plan)
    }

    // MARK: - sample

    @Test func sampleRoundTripTimeMayBeNullOrAbsent() throws {
        let expected = SubscriptionMessage.sample(
            LinkSampleReport(batch: 42, source: "carol", bytes: 1000, seconds: 2, rttMs: nil))
        #expect(try decode(sampleJSON(#""seconds":2"#)) == expected)
        #expect(try decode(sampleJSON(#""seconds":2.0,"rtt_ms":null"#)) == expected)
        #expect(expected.encodeFrame().dropFirst(4).elementsEqual(
            #"{"batch":42,"bytes":1000,"rtt_ms":null,"seconds":2.0,"source":"carol","type":"sample","v":1}"#.utf8))
    }

    @Test func sampleFiguresRoundTripExactly() throws {
        for seconds in [0.0, 1e-7, 0.1 + 0.2, 3600.5, 1e300] {
            let message = SubscriptionMessage.sample(
                LinkSampleReport(batch: 1, source: "server", bytes: 5, seconds: seconds, rttMs: seconds))
            #expect(try SubscriptionMessage.decode(payload: Array(message.encodeFrame().dropFirst(4))) == message)
        }
    }

    @Test func sampleFiguresMustBeFiniteAndNonNegative() {
        expectRefused(sampleJSON(#""seconds":-1.5"#),
                      .badField(type: "sample", field: "seconds", reason: "must be at least 0, not -1.5"))
        expectRefused(sampleJSON(#""seconds":1,"rtt_ms":-2"#),
                      .badField(type: "sample", field: "rtt_ms", reason: "must be at least 0, not -2.0"))
        expectRefused(sampleJSON(#""seconds":"1""#),
                      .badField(type: "sample", field: "seconds", reason: "must be a number, not a string"))
        expectRefused(#"{"v":1,"type":"sample","batch":42,"source":"carol","bytes":-1,"seconds":1}"#,
                      .badField(type: "sample", field: "bytes", reason: "must be at least 0, not -1"))
        expectRefused(#"{"v":1,"type":"sample","batch":42,"source":"carol","bytes":1}"#,
                      .missingField(type: "sample", field: "seconds"))
        expectBadField(#"{"v":1,"type":"sample","batch":42,"source":"a/b","bytes":1,"seconds":1}"#,
                       type: "sample", field: "source")
        // A number too large for a Double is not a number at all.
        #expect(throws: ProtocolError.self) { try decode(sampleJSON(#""seconds":1e999"#)) }
    }

    @Test func sampleThroughputIsBytesPerSecond() {
        #expect(LinkSampleReport(batch: 1, source: "carol", bytes: 1000, seconds: 0.5, rttMs: nil).throughputBps == 2000)
        #expect(LinkSampleReport(batch: 1, source: "carol", bytes: 1000, seconds: 0, rttMs: nil).throughputBps == nil)
    }
}
