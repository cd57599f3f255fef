import Logging
import SSHKit

/// The log lines of the SSH layer's session events: connections, logins
/// and their refusals, timeouts, disconnections.
struct SessionEventLog: Sendable {
    let logger: Logger

    func record(_ event: SSHSessionEvent) {
        switch event {
        case .connected(let id, let peer):
            logger.debug("connection", metadata: ["session": "\(id)", "peer": "\(peer)"])
        case .authenticated(let info, let keyType):
            logger.info("authenticated", metadata: ["session": "\(info.id)", "user": "\(info.user)", "peer": "\(info.peer)", "key": "\(keyType)"])
        case .authenticationFailed(let id, let peer, let user, let keyType):
            logger.notice("authentication refused", metadata: ["session": "\(id)", "user": "\(user)", "peer": "\(peer)", "key": "\(keyType)"])
        case .tooManyAuthFailures(let id, let peer):
            logger.warning("too many authentication failures, disconnecting", metadata: ["session": "\(id)", "peer": "\(peer)"])
        case .loginGraceExpired(let id, let peer):
            logger.notice("login grace time expired, disconnecting", metadata: ["session": "\(id)", "peer": "\(peer)"])
        case .idleTimeout(let id, let peer):
            logger.notice("idle timeout, disconnecting", metadata: ["session": "\(id)", "peer": "\(peer)"])
        case .refused(let peer, let reason):
            logger.warning("connection refused", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
        case .acceptFailed(let reason, let retryIn):
            logger.error("cannot accept connections, retrying", metadata: ["reason": "\(reason)", "retry_in": "\(retryIn)"])
        case .keyExchangeFailed(let peer, let reason):
            logger.notice("key exchange failed", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
        case .requestRefused(let info, let request):
            logger.notice("request refused", metadata: ["user": "\(info?.user ?? "-")", "peer": "\(info.map { "\($0.peer)" } ?? "-")", "request": "\(request)"])
        case .disconnected(let id, let peer, let user, let reason):
            logger.debug("disconnected", metadata: ["session": "\(id)", "user": "\(user ?? "-")", "peer": "\(peer)",
                                                    "reason": "\(reason)"])
        }
    }
}
