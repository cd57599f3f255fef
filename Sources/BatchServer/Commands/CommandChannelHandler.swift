import Dispatch
import SSHKit

/// An exec channel that runs one command to completion, writes its output,
/// and closes with its exit status. The command runs off the loop thread:
/// most are catalogue reads and writes that take milliseconds, but some
/// (`batchctl stats` on a large catalogue, `batchctl batch verify`) read
/// for longer, and a loop serves many other connections. A command that
/// reads standard input (`--key -`) runs once the client sends EOF.
///
/// Confined to its channel's loop thread: `SSHChannel.execute` runs the
/// closures that capture it there.
final class CommandChannelHandler: SSHChannelHandler, @unchecked Sendable {
    typealias Command = @Sendable (_ input: String?, _ output: CommandOutput) -> Int32

    /// Standard input kept for a command, at most this many bytes.
    static let maxInput = 1 << 20
    private let command: Command
    private let readsInput: Bool
    private var input: [UInt8] = []
    private var started = false

    init(channel: SSHChannel, readsInput: Bool = false, command: @escaping Command) {
        self.command = command
        self.readsInput = readsInput
        if !readsInput {
            // Runs after the exec request has been answered, so the reply
            // precedes the output on the wire.
            channel.execute { [self] in run(on: channel, input: nil) }
        }
    }

    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer) {
        guard readsInput, !started else { return }
        guard input.count + data.count <= CommandChannelHandler.maxInput else {
            started = true
            channel.writeStderr("batchd: standard input is larger than \(CommandChannelHandler.maxInput) bytes\n")
            channel.close(exitStatus: 64)
            return
        }
        input.append(contentsOf: data)
    }

    func channelReceivedEOF(_ channel: SSHChannel) {
        if readsInput { run(on: channel, input: String(decoding: input, as: UTF8.self)) }
    }

    func channelClosed(_ channel: SSHChannel) {}

    private func run(on channel: SSHChannel, input: String?) {
        guard !started, !channel.isClosed else { return }
        started = true
        let command = self.command
        CommandChannelHandler.workers.async {
            let output = CommandOutput()
            let status = command(input, output)
            let (text, errors) = (output.text, output.errors)
            channel.execute {
                guard !channel.isClosed else { return }
                if !errors.isEmpty { channel.writeStderr(errors) }
                if !text.isEmpty { channel.write(text) }
                channel.close(exitStatus: status)
            }
        }
    }

    /// Where commands run, beside the loops.
    private static let workers = DispatchQueue(label: "batchd.commands", attributes: .concurrent)
}

/// What a command printed, collected on the worker thread before it is sent.
final class CommandOutput {
    private(set) var text = ""
    private(set) var errors = ""

    func write(_ string: String) { text += string }
    func writeError(_ string: String) { errors += string }
}
