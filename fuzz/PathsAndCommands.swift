// libFuzzer target: client paths and exec command lines.
// Built with BatchCore's sources into one module by `make fuzz`.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPathsAndCommands(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    if let path = try? DropPath.resolve(bytes, relativeTo: .root) {
        for name in path.components {
            precondition(!name.isEmpty && !name.utf8.elementsEqual(".".utf8) && !name.utf8.elementsEqual("..".utf8),
                         "a bad component got through: \(name)")
            precondition(!name.utf8.contains { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") },
                         "a control byte or separator got through: \(name.debugDescription)")
            precondition(name.utf8.count <= DropPath.maxComponentLength, "a long component got through")
        }
        precondition(path.description.utf8.count <= DropPath.maxPathLength + 1, "a long path got through")
    }
    let line = String(decoding: bytes, as: UTF8.self)
    if let words = try? ExecCommandLine.split(line) {
        _ = try? FetchRequest.parse(arguments: words)
        _ = try? SCPCommand.parse(arguments: words)
    }
    return 0
}
