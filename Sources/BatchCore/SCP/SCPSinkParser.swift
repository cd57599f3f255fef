/// The server side of a legacy scp upload (`scp -t`), as a state machine
/// fed with the bytes the client sends.
///
/// The protocol is lock-step, as OpenSSH's `scp.c` `sink()` and `source()`
/// implement it; every reply is one `\0` (go on) or an error line
/// (`\u{1}scp: message\n`):
///
///     server                      client
///     reply (start)         →
///                           ←     T<mtime> 0 <atime> 0\n        (with -p)
///     reply                 →
///                           ←     C0644 <size> <name>\n
///     reply                 →
///                           ←     <size bytes> \0
///     reply                 →                                   (file stored)
///                           ←     D0755 0 <name>\n              (with -r)
///     reply                 →     … the directory's entries …
///                           ←     E\n
///     reply                 →
///
/// The parser starts waiting for the server's start reply. Each event with
/// `needsReply` leaves it waiting again; the server answers with
/// ``accept()`` or ``reject(_:fatal:)`` and writes the bytes they return.
/// A rejected file or directory is skipped by the client, which goes on
/// with the next one. A `\u{1}` line from the client instead of the `\0`
/// after a file's data means the client could not read that file: the
/// parser reports `fileFailed` and the file must be discarded.
///
/// File contents arrive as `fileData` events, one per contiguous run of
/// input, so a large file costs one copy per channel read.
public struct SCPSinkParser: Sendable {
    /// Longest header or message line accepted, newline excluded: a path
    /// maximum plus room for the record's mode and size.
    public static let maxLineLength = 4096 + 64
    /// Default cap on one file's size: 1 TiB.
    public static let defaultMaxFileSize: UInt64 = 1 << 40

    /// What the server still has to answer.
    private enum Pending: Sendable {
        case start, times, enterDirectory, exitDirectory, fileStart(size: UInt64), fileEnd
    }

    /// Which kind of line is being collected.
    private enum LineKind: Sendable {
        case header
        case fileTrailerMessage(fatal: Bool)
    }

    private enum State: Sendable {
        case awaitingReply(Pending)
        case line(LineKind)
        case fileData(remaining: UInt64)
        case fileTrailer
        case finished
        case failed(SCPError)
    }

    /// Whether `D` records are allowed (`scp -r`).
    public let recursive: Bool
    /// Largest file size accepted in a `C` record.
    public let maxFileSize: UInt64
    private var state: State = .awaitingReply(.start)
    private var lineBuffer: [UInt8] = []
    /// Directories entered and not yet left.
    public private(set) var openDirectoryCount = 0

    /// Creates a parser for a session; `recursive` as the command's `-r`.
    public init(recursive: Bool, maxFileSize: UInt64 = SCPSinkParser.defaultMaxFileSize) {
        self.recursive = recursive
        self.maxFileSize = maxFileSize
    }

    /// Creates a parser for a parsed `scp -t` command.
    public init(command: SCPCommand, maxFileSize: UInt64 = SCPSinkParser.defaultMaxFileSize) {
        self.init(recursive: command.recursive, maxFileSize: maxFileSize)
    }

    /// Whether the server owes the client a reply (``accept()`` or
    /// ``reject(_:fatal:)``) before more input may arrive.
    public var isAwaitingReply: Bool {
        if case .awaitingReply = state { return true }
        return false
    }

    /// The client's error line for `message`, as OpenSSH's `run_err` writes
    /// it: `\u{1}` (or `\u{2}` when fatal), `scp: `, the message on one
    /// line, and a newline.
    public static func errorLine(_ message: String, fatal: Bool = false) -> [UInt8] {
        let oneLine = message.replacingNewlines()
        return [fatal ? 2 : 1] + Array("scp: \(oneLine)\n".utf8)
    }

    /// Answers the pending event with `\0`: go on.
    public mutating func accept() throws(SCPError) -> [UInt8] {
        guard case .awaitingReply(let pending) = state else { throw .noReplyPending }
        switch pending {
        case .enterDirectory:
            openDirectoryCount += 1
            state = .line(.header)
        case .fileStart(let size):
            state = size == 0 ? .fileTrailer : .fileData(remaining: size)
        case .start, .times, .exitDirectory, .fileEnd:
            state = .line(.header)
        }
        return [0]
    }

    /// Answers the pending event with an error line. The client skips a
    /// rejected file or directory and goes on; a rejected start, or any
    /// fatal rejection, ends the session.
    public mutating func reject(_ message: String, fatal: Bool = false) throws(SCPError) -> [UInt8] {
        guard case .awaitingReply(let pending) = state else { throw .noReplyPending }
        if case .start = pending {
            state = .finished
        } else {
            state = fatal ? .finished : .line(.header)
        }
        return Self.errorLine(message, fatal: fatal)
    }

    /// Consumes bytes from the client and returns what they meant. Throws
    /// on a protocol violation; the parser then stays failed.
    public mutating func feed(_ input: UnsafeRawBufferPointer) throws(SCPError) -> [SCPEvent] {
        var events: [SCPEvent] = []
        var index = 0
        while index < input.count {
            switch state {
            case .failed(let error):
                throw error
            case .finished:
                throw fail(.dataAfterFatalError)
            case .awaitingReply:
                throw fail(.dataBeforeReply)
            case .fileData(let remaining):
                let count = Int(min(remaining, UInt64(input.count - index)))
                events.append(.fileData(Self.copy(input, from: index, count: count)))
                index += count
                let left = remaining - UInt64(count)
                state = left == 0 ? .fileTrailer : .fileData(remaining: left)
            case .fileTrailer:
                let byte = input[index]
                index += 1
                switch byte {
                case 0:
                    events.append(.fileEnd)
                    state = .awaitingReply(.fileEnd)
                case 1, 2:
                    lineBuffer.removeAll(keepingCapacity: true)
                    state = .line(.fileTrailerMessage(fatal: byte == 2))
                default:
                    throw fail(.badFileTrailer(byte))
                }
            case .line(let kind):
                let rest = UnsafeRawBufferPointer(rebasing: input[index...])
                let newline = rest.firstIndex(of: UInt8(ascii: "\n"))
                let take = newline ?? rest.count
                guard lineBuffer.count + take <= Self.maxLineLength else { throw fail(.lineTooLong(Self.maxLineLength)) }
                lineBuffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[0 ..< take]))
                guard newline != nil else {
                    index = input.count
                    continue
                }
                index += take + 1
                let line = lineBuffer
                lineBuffer.removeAll(keepingCapacity: true)
                switch kind {
                case .header:
                    do {
                        if let event = try handleHeader(line) { events.append(event) }
                    } catch {
                        throw fail(error)
                    }
                case .fileTrailerMessage(let fatal):
                    let message = String(decoding: line, as: UTF8.self)
                    if fatal {
                        events.append(.sourceError(fatal: true, message: message))
                        state = .finished
                    } else {
                        events.append(.fileFailed(message: message))
                        state = .awaitingReply(.fileEnd)
                    }
                }
            }
        }
        return events
    }

    /// Consumes bytes from the client; see ``feed(_:)-(UnsafeRawBufferPointer)``.
    public mutating func feed(_ input: [UInt8]) throws(SCPError) -> [SCPEvent] {
        // withUnsafeBytes rethrows untyped errors; Result keeps the type.
        let result = input.withUnsafeBytes { buffer in Result { () throws(SCPError) in try feed(buffer) } }
        return try result.get()
    }

    /// Call when the client closed its side: throws if it stopped inside a
    /// record or a file, whose upload is then incomplete.
    public func finish() throws(SCPError) {
        switch state {
        case .failed(let error):
            throw error
        case .fileData, .fileTrailer:
            throw .truncated
        case .line(let kind):
            if case .fileTrailerMessage = kind { throw .truncated }
            if !lineBuffer.isEmpty { throw .truncated }
        case .awaitingReply, .finished:
            break
        }
    }

    private mutating func fail(_ error: SCPError) -> SCPError {
        state = .failed(error)
        lineBuffer = []
        return error
    }

    private static func copy(_ input: UnsafeRawBufferPointer, from index: Int, count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: input[index ..< index + count]))
            initialized = count
        }
    }

    /// Interprets one complete header line (newline removed) and sets the
    /// next state. Returns the event it produced, if any.
    private mutating func handleHeader(_ line: [UInt8]) throws(SCPError) -> SCPEvent? {
        guard let first = line.first else { throw .emptyLine }
        switch first {
        case 1, 2:
            let event = SCPEvent.sourceError(fatal: first == 2, message: String(decoding: line.dropFirst(), as: UTF8.self))
            if first == 2 { state = .finished }
            return event
        case UInt8(ascii: "E"):
            guard line.count == 1 else { throw .badEnd(Self.printable(line)) }
            guard openDirectoryCount > 0 else { throw .unmatchedEnd }
            openDirectoryCount -= 1
            state = .awaitingReply(.exitDirectory)
            return .exitDirectory
        case UInt8(ascii: "T"):
            let times = try Self.parseTimes(line)
            state = .awaitingReply(.times)
            return .times(mtime: times.mtime, atime: times.atime)
        case UInt8(ascii: "C"), UInt8(ascii: "D"):
            let record = try Self.parseEntry(line)
            if first == UInt8(ascii: "D") {
                guard recursive else { throw .directoryWithoutRecursive }
                state = .awaitingReply(.enterDirectory)
                return .enterDirectory(mode: record.mode, name: record.name)
            }
            guard record.size <= maxFileSize else { throw .fileTooLarge(size: record.size, limit: maxFileSize) }
            state = .awaitingReply(.fileStart(size: record.size))
            return .fileStart(mode: record.mode, size: record.size, name: record.name)
        default:
            throw .unknownRecord(Self.printable(line))
        }
    }

    /// Parses `T<mtime> <usec> <atime> <usec>`; microseconds are dropped.
    private static func parseTimes(_ line: [UInt8]) throws(SCPError) -> (mtime: Int64, atime: Int64) {
        var index = 1
        func number(maxDigits: Int, last: Bool) throws(SCPError) -> UInt64 {
            guard let value = digits(line, at: &index, maxDigits: maxDigits) else { throw .badTimes(printable(line)) }
            if last {
                guard index == line.count else { throw .badTimes(printable(line)) }
            } else {
                guard index < line.count, line[index] == UInt8(ascii: " ") else { throw .badTimes(printable(line)) }
                index += 1
            }
            return value
        }
        let mtime = try number(maxDigits: 19, last: false)
        _ = try number(maxDigits: 6, last: false)
        let atime = try number(maxDigits: 19, last: false)
        _ = try number(maxDigits: 6, last: true)
        guard mtime <= UInt64(Int64.max), atime <= UInt64(Int64.max) else { throw .badTimes(printable(line)) }
        return (Int64(mtime), Int64(atime))
    }

    /// Parses `C<mode> <size> <name>` or `D<mode> <size> <name>`.
    private static func parseEntry(_ line: [UInt8]) throws(SCPError) -> (mode: UInt32, size: UInt64, name: String) {
        // Exactly four octal digits, as OpenSSH reads buf[1...4].
        guard line.count >= 6, line[5] == UInt8(ascii: " ") else { throw .badMode(printable(line)) }
        var mode: UInt32 = 0
        for byte in line[1 ... 4] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7") else { throw .badMode(printable(line)) }
            mode = mode << 3 | UInt32(byte - UInt8(ascii: "0"))
        }
        var index = 6
        guard let size = digits(line, at: &index, maxDigits: 19), index < line.count, line[index] == UInt8(ascii: " ") else {
            throw .badSize(printable(line))
        }
        let name = try validatedName(line[(index + 1)...])
        return (mode, size, name)
    }

    /// A file or directory name that is safe to create inside the target:
    /// one non-empty path component, not `.` or `..`, at most 255 bytes.
    private static func validatedName(_ bytes: ArraySlice<UInt8>) throws(SCPError) -> String {
        let shown = printable(Array(bytes))
        guard !bytes.isEmpty else { throw .badName(shown, reason: "the name is empty") }
        guard !bytes.contains(0) else { throw .badName(shown, reason: "the name contains a NUL byte") }
        guard !bytes.contains(UInt8(ascii: "/")) else { throw .badName(shown, reason: "the name contains '/'") }
        guard bytes.count <= 255 else { throw .badName(shown, reason: "the name is longer than 255 bytes") }
        guard let name = String(strictUTF8: bytes) else { throw .badName(shown, reason: "the name is not valid UTF-8") }
        guard name != ".", name != ".." else { throw .badName(shown, reason: "'.' and '..' are not file names") }
        return name
    }

    /// Reads 1 to `maxDigits` decimal digits starting at `index`.
    private static func digits(_ line: [UInt8], at index: inout Int, maxDigits: Int) -> UInt64? {
        var value: UInt64 = 0
        let start = index
        while index < line.count, line[index] >= UInt8(ascii: "0"), line[index] <= UInt8(ascii: "9") {
            guard index - start < maxDigits else { return nil }
            value = value * 10 + UInt64(line[index] - UInt8(ascii: "0"))
            index += 1
        }
        return index > start ? value : nil
    }

    /// A line as it may appear in an error message: control bytes shown as
    /// `?`, cut to 80 bytes.
    private static func printable(_ line: [UInt8]) -> String {
        let text = String(decoding: line.prefix(80), as: UTF8.self)
        return String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }
}

extension String {
    /// The string with CR and LF replaced by spaces, so it fits on one
    /// protocol line.
    fileprivate func replacingNewlines() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : $0 }))
    }
}
