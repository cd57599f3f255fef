import Foundation

/// A topic's PreSealHook: a shell command that vets a batch's files before
/// it is sealed. It runs in a process group of its own, in a folder that
/// holds the batch's files under their paths (read-only links to the staged
/// bytes, also its last argument), with the batch described in
/// `BATCHD_*` variables. Exit 0 seals the batch; any other exit, a signal,
/// or running past the timeout rejects it, with the hook's first line of
/// output as the reason.
struct PreSealHook: Sendable {
    let command: String
    let timeout: Int

    /// What the hook decided.
    enum Verdict: Sendable, Equatable {
        case accepted
        case rejected(String)
    }

    /// The most output kept for the reason and the log; the rest is read and dropped.
    static let outputLimit = 64 << 10

    /// Runs the hook on the files in `folder` and waits for it, at most
    /// `timeout` seconds. Blocks the calling thread: never call it on a loop.
    func run(in folder: String, environment: [String: String]) -> (verdict: Verdict, output: String) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return (.rejected(notStarted(errno)), "") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd) }
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A group of its own, so a timeout kills whatever the hook started.
        var flags = Int32(POSIX_SPAWN_SETPGROUP)
        PreSealHook.closeOtherDescriptors(&actions, flags: &flags)
        posix_spawnattr_setflags(&attributes, Int16(flags))
        posix_spawnattr_setpgroup(&attributes, 0)

        let script = "cd \"$1\" || exit 126\n" + command + " \"$1\""
        let arguments = ["/bin/sh", "-c", script, "batchd-pre-seal", folder]
        let variables = environment.merging(["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                             "LANG": "C.UTF-8"]) { own, _ in own }
            .map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let spawned = withCStrings(arguments) { argv in
            withCStrings(variables) { envp in posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp) }
        }
        close(writeEnd)
        guard spawned == 0 else { return (.rejected(notStarted(spawned)), "") }

        let (output, timedOut) = collect(from: readEnd, until: .now + .seconds(timeout), group: pid)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        // Nothing the hook started outlives it.
        kill(-pid, SIGKILL)
        let text = String(decoding: output, as: UTF8.self)
        if timedOut {
            return (.rejected("the pre-seal hook did not finish within \(timeout) s"), text)
        }
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        if exited, code == 0 { return (.accepted, text) }
        let how = exited ? "exit \(code)" : "signal \(status & 0x7f)"
        let line = text.split(whereSeparator: \.isNewline).lazy
            .map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
        let reason = line.map { ": " + String($0.prefix(200)) } ?? ""
        return (.rejected("rejected by the pre-seal hook (\(how))\(reason)"), text)
    }

    /// Reads the hook's output until it closes or the deadline passes;
    /// past the deadline the whole group is killed.
    private func collect(from fd: Int32, until deadline: ContinuousClock.Instant, group: pid_t) -> (output: [UInt8], timedOut: Bool) {
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let left = deadline - .now
            if left <= .zero {
                kill(-group, SIGKILL)
                return (output, true)
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(left, .seconds(1)) / .milliseconds(1)) + 1)
            if ready < 0, errno != EINTR { return (output, false) }
            guard ready > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return (output, false) }
            let room = PreSealHook.outputLimit - output.count
            if room > 0 { output.append(contentsOf: buffer[0 ..< min(n, room)]) }
        }
    }

    private func notStarted(_ code: Int32) -> String {
        "the pre-seal hook could not be started: \(String(cString: strerror(code)))"
    }
}

/// Calls `body` with `strings` as a NULL-terminated C array.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
