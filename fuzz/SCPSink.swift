// libFuzzer target: what an `scp -t` sink reads from a client.
// Built with BatchCore's sources into one module by `make fuzz`.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSCPSink(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    var parser = SCPSinkParser(recursive: count > 0 && input[0] & 1 == 1, maxFileSize: 1 << 20)
    var expected: UInt64 = 0
    var received: UInt64 = 0
    var offset = 0
    // Feed in chunks of varying size, answering every event that wants it.
    while offset < count {
        if parser.isAwaitingReply {
            guard (try? parser.accept()) != nil else { return 0 }
            continue
        }
        let size = max(1, Int(input[offset]) % 97)
        let end = min(count, offset + size)
        let events: [SCPEvent]
        do {
            events = try parser.feed(UnsafeRawBufferPointer(rebasing: input[offset..<end]))
        } catch {
            return 0
        }
        offset = end
        for event in events {
            switch event {
            case .fileStart(_, let size, let name):
                expected = size
                received = 0
                checkName(name)
            case .enterDirectory(_, let name):
                checkName(name)
            case .fileData(let bytes):
                received += UInt64(bytes.count)
                precondition(received <= expected, "more file data than the header announced")
            default:
                break
            }
        }
    }
    return 0
}

private func checkName(_ name: String) {
    let bytes = Array(name.utf8)
    precondition(!bytes.isEmpty && bytes != [46] && bytes != [46, 46] && !bytes.contains(UInt8(ascii: "/")) && !bytes.contains(0),
                 "an unsafe name got through: \(name.debugDescription)")
}
