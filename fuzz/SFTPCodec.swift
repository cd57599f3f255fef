// libFuzzer target: bytes a client could send on the sftp subsystem.
// Built with BatchCore's sources into one module by `make fuzz`.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSFTPCodec(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    var framer = SFTPFramer()
    // Split where the first byte says, as a network read would.
    let cut = count == 0 ? 0 : Int(input[0]) % (count + 1)
    framer.append(UnsafeRawBufferPointer(rebasing: input[0..<cut]))
    framer.append(UnsafeRawBufferPointer(rebasing: input[cut...]))
    while true {
        let packet: [UInt8]?
        do {
            packet = try framer.nextPacket()
        } catch {
            return 0
        }
        guard let packet else { return 0 }
        precondition(packet.count <= SFTPFramer.maxPacketLength, "a packet over the limit got through")
        _ = try? SFTPRequest.decode(packet)
    }
}
