/// Failures of the SSH layer, each a sentence an operator can act on.
public enum SSHKitError: Error, Sendable, Equatable, CustomStringConvertible {
    case hostKeyUnreadable(path: String, reason: String)
    case hostKeyCreation(path: String, reason: String)
    case keyParse(String)
    case bindOption(option: String, reason: String)
    case listen(address: String, port: Int, reason: String)
    case eventLoop(String)

    public var description: String {
        switch self {
        case .hostKeyUnreadable(let path, let reason):
            return "cannot read host key \(path): \(reason); remove it to have a new one created, or fix its permissions"
        case .hostKeyCreation(let path, let reason):
            return "cannot create host key \(path): \(reason); check that its folder exists and is writable"
        case .keyParse(let reason):
            return "cannot parse public key: \(reason)"
        case .bindOption(let option, let reason):
            return "libssh refused server option \(option): \(reason)"
        case .listen(let address, let port, let reason):
            return "cannot listen on \(address):\(port): \(reason); is another server using that port?"
        case .eventLoop(let reason):
            return "SSH event loop failed: \(reason)"
        }
    }
}
