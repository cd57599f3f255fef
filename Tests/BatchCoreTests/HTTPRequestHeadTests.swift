import BatchCore
import Testing

/// The request line the metrics endpoint answers, and when a request
/// head has fully arrived.
@Suite struct HTTPRequestHeadTests {
    private func head(_ text: String) -> HTTPRequestHead? {
        HTTPRequestHead(parsing: Array(text.utf8))
    }

    @Test func requestLineGivesMethodAndPathWithoutQuery() {
        #expect(head("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n") == HTTPRequestHead(method: "GET", path: "/metrics"))
        #expect(head("HEAD /metrics?x=1 HTTP/1.0\r\n\r\n") == HTTPRequestHead(method: "HEAD", path: "/metrics"))
        #expect(head("GET /metrics HTTP/1.1\n\n")?.path == "/metrics")
    }

    @Test func anythingElseIsABadRequest() {
        #expect(head("") == nil)
        #expect(head("GET /metrics\r\n\r\n") == nil)
        #expect(head("GET /metrics HTTP/2\r\n\r\n") == nil)
        #expect(head("GET  /metrics HTTP/1.1\r\n\r\n") == nil)
        #expect(head("get /metrics HTTP/1.1\r\n\r\n") == nil)
        #expect(head("GET metrics HTTP/1.1\r\n\r\n") == nil)
        #expect(head("GET /met\u{7F}rics HTTP/1.1\r\n\r\n") == nil)
        #expect(head("\u{16}\u{03}\u{01}\u{02}\u{00}\r\n\r\n") == nil)
    }

    @Test func headIsCompleteAtTheFirstBlankLine() {
        #expect(!HTTPRequestHead.isComplete(Array("GET /metrics HTTP/1.1\r\n".utf8)))
        #expect(!HTTPRequestHead.isComplete(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n".utf8)))
        #expect(HTTPRequestHead.isComplete(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8)))
        #expect(HTTPRequestHead.isComplete(Array("GET /metrics HTTP/1.0\n\n".utf8)))
        #expect(!HTTPRequestHead.isComplete([]))
    }
}
