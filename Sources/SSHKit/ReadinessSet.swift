import CLibSSH
import Foundation

/// The descriptors one event loop waits on, each tagged with a key, and
/// whether it waits to write as well as to read. Level-triggered: a
/// descriptor with unread input is reported again on the next wait. Costs
/// grow with the descriptors that are ready, not with those registered, so
/// ten thousand idle subscribers cost nothing per wake-up. Used from the
/// loop thread only.
final class ReadinessSet {
    struct Event {
        let key: UInt64
        let readable: Bool
        let writable: Bool
    }

#if os(Linux)
    private let epoll: Int32
    private var buffer = [epoll_event](repeating: epoll_event(), count: 256)

    init() throws(SSHKitError) {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw .eventLoop("cannot create an epoll set: \(String(cString: strerror(errno)))") }
    }

    deinit {
        close(epoll)
    }

    /// Starts watching `descriptor` for input (and output when `writing`).
    func add(_ descriptor: Int32, key: UInt64, writing: Bool = false) -> Bool {
        var event = ReadinessSet.event(key: key, writing: writing)
        return epoll_ctl(epoll, EPOLL_CTL_ADD, descriptor, &event) == 0
    }

    /// Changes whether `descriptor` is watched for output too.
    func modify(_ descriptor: Int32, key: UInt64, writing: Bool) {
        var event = ReadinessSet.event(key: key, writing: writing)
        _ = epoll_ctl(epoll, EPOLL_CTL_MOD, descriptor, &event)
    }

    /// Stops watching `descriptor`, which must still be open.
    func remove(_ descriptor: Int32, key: UInt64) {
        var event = epoll_event()
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, descriptor, &event)
    }

    /// Forgets a descriptor that was closed meanwhile; its number may
    /// already belong to someone else, so it must not be touched. epoll
    /// drops closed descriptors by itself.
    func forgetClosed(_ descriptor: Int32, key: UInt64) {}

    /// Waits up to `timeout` milliseconds and returns what became ready.
    func wait(timeout: Int32) -> [Event] {
        let count = buffer.withUnsafeMutableBufferPointer {
            epoll_wait(epoll, $0.baseAddress, Int32($0.count), timeout)
        }
        guard count > 0 else { return [] }
        return buffer[0..<Int(count)].map { raw in
            Event(key: raw.data.u64,
                  readable: raw.events & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0,
                  writable: raw.events & EPOLLOUT.rawValue != 0)
        }
    }

    private static func event(key: UInt64, writing: Bool) -> epoll_event {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | (writing ? EPOLLOUT.rawValue : 0)
        event.data.u64 = key
        return event
    }
#else
    private var watched: [Int32: (key: UInt64, writing: Bool)] = [:]

    init() throws(SSHKitError) {}

    func add(_ descriptor: Int32, key: UInt64, writing: Bool = false) -> Bool {
        watched[descriptor] = (key, writing)
        return true
    }

    func modify(_ descriptor: Int32, key: UInt64, writing: Bool) {
        watched[descriptor] = (key, writing)
    }

    func remove(_ descriptor: Int32, key: UInt64) {
        forgetClosed(descriptor, key: key)
    }

    func forgetClosed(_ descriptor: Int32, key: UInt64) {
        if watched[descriptor]?.key == key { watched.removeValue(forKey: descriptor) }
    }

    func wait(timeout: Int32) -> [Event] {
        var fds = watched.map { pollfd(fd: $0.key, events: Int16(POLLIN) | ($0.value.writing ? Int16(POLLOUT) : 0), revents: 0) }
        guard poll(&fds, nfds_t(fds.count), timeout) > 0 else { return [] }
        return fds.compactMap { fd in
            guard fd.revents != 0, let entry = watched[fd.fd] else { return nil }
            return Event(key: entry.key, readable: fd.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0,
                         writable: fd.revents & Int16(POLLOUT) != 0)
        }
    }
#endif
}
