// libFuzzer target: frames on the subscribe channel, in both directions.
// Built with BatchCore's sources into one module by `make fuzz`.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSubscription(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var framer = SubscriptionFramer()
    framer.append(UnsafeRawBufferPointer(start: start, count: count))
    while true {
        let message: SubscriptionMessage?
        do {
            message = try framer.next()
        } catch {
            return 0
        }
        guard let message else { return 0 }
        // Whatever decodes must survive its own encoding unchanged.
        var again = SubscriptionFramer()
        again.append(message.encodeFrame())
        if case .unknown = message { continue }
        let decoded = try? again.next()
        precondition(decoded == message, "\(message) did not survive a round trip: \(String(describing: decoded))")
    }
}
