import BatchCore
import Foundation

extension ReceiverConfiguration {
    /// The batchd-recv.conf(5) keywords.
    public static let keywords: Set<String> = [
        "Server", "User", "Identity", "Inbox", "KnownHosts", "AcceptNewHostKey", "Accept", "Extract", "MaxExpansion", "Listen",
    ]

    /// Reads a batchd-recv.conf(5) file; every error names the file, line and keyword.
    public static func load(path: String) throws -> ReceiverConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ReceiverError.configuration("cannot read config file \(path): \(error.localizedDescription)")
        }
        let lines = try ConfigFile.parse(text: text, fileName: path)
        try ConfigFile.validate(lines, known: keywords)
        var settings = ReceiverConfiguration()
        for line in lines {
            switch line.key {
            case "server": settings.server = try line.hostPort()
            case "user": settings.user = line.value
            case "identity": settings.identity = line.value
            case "inbox": settings.inbox = line.value
            case "knownhosts": settings.knownHosts = line.value
            case "acceptnewhostkey": settings.acceptNewHostKey = try line.bool()
            case "accept":
                guard let policy = AcceptPolicy(rawValue: line.value.lowercased()) else {
                    throw line.error(.invalidValue(line.value, expected: "auto, never or ask"))
                }
                settings.accept = policy
            case "extract": settings.extract = try line.bool()
            case "maxexpansion": settings.maxExpansion = try line.integer(in: 1...100_000)
            case "listen": settings.listen = try line.hostPort()
            default: throw line.error(.unknownKeyword(line.keyword))
            }
        }
        return settings
    }
}
