/// Answers a channel request that SSHKit itself refuses after login (the
/// user is over MaxSessionsPerUser): the reason on stderr, exit status 1,
/// then `ended`. `ssh` prints the reason; `sftp` and `scp` show it too.
final class RefusalHandler: SSHChannelHandler {
    private let ended: () -> Void

    init(message: String, on channel: SSHChannel, ended: @escaping () -> Void) {
        self.ended = ended
        channel.writeStderr(message)
        channel.close(exitStatus: 1)
    }

    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer) {}

    func channelReceivedEOF(_ channel: SSHChannel) {}

    func channelClosed(_ channel: SSHChannel) {
        ended()
    }
}
