import BatchCore
import Foundation
import Logging
import SSHKit

/// The SFTP v3 subsystem on one channel: OpenSSH `sftp`, `scp` (SFTP mode)
/// and other clients upload into the drop area through it. Requests are
/// answered in order, on the channel's loop thread.
final class SFTPChannelHandler: SSHChannelHandler {
    private let drops: DropSession
    private var logger: Logger
    private var framer = SFTPFramer()
    private var initialized = false
    private var handles: [UInt32: SFTPHandle] = [:]
    private var nextHandle: UInt32 = 1
    private var told = Set<String>()
    /// Open handles allowed per channel (libssh's own server caps at 256).
    static let maxHandles = 512
    static let limits = SFTPLimits.matchingFramer(maxOpenHandles: UInt64(maxHandles))

    init(drops: DropSession, logger: Logger) {
        self.drops = drops
        self.logger = logger
        self.logger[metadataKey: "user"] = "\(drops.user)"
        self.logger[metadataKey: "peer"] = "\(drops.peer)"
        self.logger[metadataKey: "channel"] = "sftp"
    }

    // MARK: - SSHChannelHandler

    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer) {
        framer.append(data)
        do {
            while !channel.isClosed, let packet = try framer.nextPacket() {
                let reply = respond(to: packet, on: channel)
                if let reply { channel.write(reply.encode()) }
                if drops.credential.isRevoked {
                    // The refusal went out first; then the channel ends.
                    channel.close(exitStatus: 1)
                    return
                }
            }
        } catch {
            logger.warning("SFTP protocol error, closing channel", metadata: ["error": "\(error)"])
            channel.writeStderr("batchd: \(error)\n")
            channel.close(exitStatus: 1)
        }
    }

    func channelReceivedEOF(_ channel: SSHChannel) {
        // sshd reports sftp-server's exit status; scp in SFTP mode fails
        // without one.
        channel.close(exitStatus: 0)
    }

    func channelClosed(_ channel: SSHChannel) {
        // Files still open went with the connection: each is kept for a
        // resume (`reput`) and left out if none comes.
        for case .file(let batch, let file) in handles.values { batch.interrupt(file) }
        handles.removeAll()
        drops.leaveAll()
    }

    // MARK: - Requests

    private func respond(to packet: [UInt8], on channel: SSHChannel) -> SFTPResponse? {
        let request: SFTPRequest
        do {
            request = try SFTPRequest.decode(packet)
        } catch {
            // A malformed request with a readable id gets a status; one
            // without is a protocol violation.
            if packet.count >= 5 {
                let id = packet[1...4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                return .status(id: id, code: .badMessage, message: "\(error)")
            }
            channel.writeStderr("batchd: \(error)\n")
            channel.close(exitStatus: 1)
            return nil
        }
        if let revoked = drops.revocation {
            // Checked before every request: a revoked key's upload stops
            // here, and what it wrote is failed, never sealed.
            logger.warning("request after the key was revoked; upload abandoned")
            handles.removeAll()
            drops.abandonAll()
            channel.writeStderr("batchd: \(revoked)\n")
            return request.id.map { .status(id: $0, code: .permissionDenied, message: revoked.description) }
        }
        if case .initialize = request {
            initialized = true
            return .version(extensions: [
                SFTPExtensionPair(name: "limits@openssh.com", data: Array("1".utf8)),
                SFTPExtensionPair(name: "posix-rename@openssh.com", data: Array("1".utf8)),
                SFTPExtensionPair(name: "fsync@openssh.com", data: Array("1".utf8)),
            ])
        }
        guard initialized, let id = request.id else {
            channel.writeStderr("batchd: SFTP request before INIT\n")
            channel.close(exitStatus: 1)
            return nil
        }
        do {
            return try answer(request, id: id)
        } catch {
            tell(error, on: channel)
            return .status(id: id, code: error.sftpStatus, message: error.description)
        }
    }

    private func answer(_ request: SFTPRequest, id: UInt32) throws(IngestError) -> SFTPResponse {
        switch request {
        case .initialize:
            return ok(id)
        case .realpath(_, let raw):
            let path = try drops.resolve(raw)
            return .name(id: id, entries: [SFTPNameEntry(filename: path.string, longname: path.string, attributes: .empty)])
        case .stat(_, let raw), .lstat(_, let raw):
            return .attrs(id: id, attributes: try attributes(of: drops.resolve(raw)))
        case .fstat(_, let handle):
            guard case .file(let batch, let file)? = try lookup(handle) else { return .attrs(id: id, attributes: directoryAttributes) }
            return .attrs(id: id, attributes: attributes(of: batch.entry(of: file)))
        case .open(_, let raw, let flags, let attrs):
            return try open(raw, flags: flags, attrs: attrs, id: id)
        case .write(_, let handle, let offset, let data):
            guard case .file(let batch, let file)? = try lookup(handle) else { throw .badHandle }
            // A file whose write fails (refused for its size, or the disk
            // full) leaves the batch: later writes to it fail too, and a
            // CLOSE cannot bring it back.
            try batch.write(file, data, at: offset)
            return ok(id)
        case .close(_, let handle):
            let handleSlot = try lookup(handle)
            if case .file(let batch, let file)? = handleSlot {
                batch.close(file)
            }
            handles[SFTPHandle.decode(handle) ?? 0] = nil
            return ok(id)
        case .read:
            throw .writeOnly("file")
        case .setstat(_, let raw, let attrs):
            let path = try drops.resolve(raw)
            if let location = try drops.locate(path, joining: true), !location.relative.isEmpty {
                guard let batch = location.batch else { throw .noSuchFile(path.string) }
                try batch.setAttributes(at: location.relative, mode: attrs.permissions, mtime: attrs.mtime.map(Int64.init), size: attrs.size)
            }
            return ok(id)
        case .fsetstat(_, let handle, let attrs):
            if case .file(let batch, let file)? = try lookup(handle) {
                try batch.setAttributes(of: file, mode: attrs.permissions, mtime: attrs.mtime.map(Int64.init), size: attrs.size)
            }
            return ok(id)
        case .mkdir(_, let raw, let attrs):
            let path = try drops.resolve(raw)
            guard let location = try drops.locate(path) else { throw .alreadyExists("/") }
            guard !location.relative.isEmpty else { throw .alreadyExists(location.destination.component) }
            try drops.batch(for: location.destination).makeDirectory(location.relative, mode: attrs.permissions)
            return ok(id)
        case .rmdir(_, let raw):
            let path = try drops.resolve(raw)
            guard let location = try drops.locate(path, joining: true), !location.relative.isEmpty, let batch = location.batch else {
                throw .noSuchFile(path.string)
            }
            try batch.removeDirectory(location.relative)
            return ok(id)
        case .opendir(_, let raw):
            let entries = try listing(of: drops.resolve(raw))
            return .handle(id: id, handle: try newHandle(.directory(entries: entries, sent: false)))
        case .readdir(_, let handle):
            guard case .directory(let entries, let sent)? = try lookup(handle) else { throw .badHandle }
            if sent || entries.isEmpty {
                return .status(id: id, code: .eof, message: "end of folder")
            }
            handles[SFTPHandle.decode(handle) ?? 0] = .directory(entries: entries, sent: true)
            return .name(id: id, entries: entries)
        case .remove(_, let raw):
            let path = try drops.resolve(raw)
            guard let location = try drops.locate(path, joining: true), !location.relative.isEmpty, let batch = location.batch else {
                throw .noSuchFile(path.string)
            }
            try batch.remove(location.relative)
            return ok(id)
        case .rename(_, let from, let to):
            try rename(from, to, replace: false)
            return ok(id)
        case .readlink:
            throw .linksRefused
        case .symlink:
            throw .linksRefused
        case .extended(_, let extended):
            return try answer(extended, id: id)
        case .unknown(let type, _):
            throw .unsupported("SFTP request type \(type)")
        }
    }

    private func answer(_ request: SFTPExtendedRequest, id: UInt32) throws(IngestError) -> SFTPResponse {
        switch request {
        case .limits:
            return .limits(id: id, SFTPChannelHandler.limits)
        case .posixRename(let from, let to):
            try rename(from, to, replace: true)
            return ok(id)
        case .hardlink:
            throw .linksRefused
        case .fsync(let handle):
            // Durability comes from the fsync at seal; until then a file
            // is not part of any batch, so there is nothing to make durable.
            guard case .file? = try lookup(handle) else { throw .badHandle }
            return ok(id)
        case .statvfs, .fstatvfs:
            throw .unsupported(request.name)
        case .other(let name, _):
            throw .unsupported("SFTP extension \(name)")
        }
    }

    // MARK: - Operations

    private func open(_ raw: [UInt8], flags: SFTPOpenFlags, attrs: SFTPAttributes, id: UInt32) throws(IngestError) -> SFTPResponse {
        let path = try drops.resolve(raw)
        if flags.contains(.read) || !flags.contains(.write) {
            throw .writeOnly(path.string)
        }
        guard let location = try drops.locate(path) else { throw .isADirectory("/") }
        guard !location.relative.isEmpty else { throw .isADirectory(location.destination.component) }
        if !flags.contains(.creat), location.batch?.entry(location.relative) == nil {
            throw .noSuchFile(path.string)
        }
        guard handles.count < SFTPChannelHandler.maxHandles else { throw .tooManyHandles(SFTPChannelHandler.maxHandles) }
        let batch = try drops.batch(for: location.destination)
        let file = try batch.openFile(location.relative, truncate: flags.contains(.trunc),
                                      exclusive: flags.contains(.creat) && flags.contains(.excl), mode: attrs.permissions)
        return .handle(id: id, handle: try newHandle(.file(batch, file)))
    }

    private func rename(_ fromRaw: [UInt8], _ toRaw: [UInt8], replace: Bool) throws(IngestError) {
        let from = try drops.resolve(fromRaw)
        let to = try drops.resolve(toRaw)
        guard let source = try drops.locate(from, joining: true), !source.relative.isEmpty, let batch = source.batch else {
            throw .noSuchFile(from.string)
        }
        guard let target = try drops.locate(to), target.destination == source.destination, !target.relative.isEmpty else {
            throw .crossDestination(from.string, to.string)
        }
        try batch.rename(source.relative, to: target.relative, replace: replace)
    }

    // MARK: - Paths and attributes

    private func attributes(of path: DropPath) throws(IngestError) -> SFTPAttributes {
        guard let location = try drops.locate(path) else { return directoryAttributes }
        if location.relative.isEmpty { return directoryAttributes }
        guard let entry = location.batch?.entry(location.relative) else { throw .noSuchFile(path.string) }
        return attributes(of: entry)
    }

    private func attributes(of entry: DropEntry) -> SFTPAttributes {
        switch entry {
        case .directory(let mode, let mtime):
            return SFTPAttributes(size: 0, permissions: 0o040000 | mode, atime: UInt32(clamping: mtime), mtime: UInt32(clamping: mtime))
        case .file(let size, let mode, let mtime):
            let time = UInt32(clamping: mtime ?? Int64(Date().timeIntervalSince1970))
            return SFTPAttributes(size: size, uid: 0, gid: 0, permissions: 0o100000 | mode, atime: time, mtime: time)
        }
    }

    private var directoryAttributes: SFTPAttributes {
        SFTPAttributes(size: 0, uid: 0, gid: 0, permissions: 0o040755, atime: 0, mtime: 0)
    }

    private func listing(of path: DropPath) throws(IngestError) -> [SFTPNameEntry] {
        guard let location = try drops.locate(path) else {
            return drops.topicNames().map { entry(named: $0, attributes: directoryAttributes) }
        }
        let (relative, batch) = (location.relative, location.batch)
        guard relative.isEmpty || batch?.isDirectory(relative) == true else {
            throw batch?.entry(relative) == nil ? .noSuchFile(path.string) : .notADirectory(path.string)
        }
        return (batch?.children(of: relative) ?? []).map { name, entry in
            self.entry(named: name, attributes: attributes(of: entry))
        }
    }

    private func entry(named name: String, attributes: SFTPAttributes) -> SFTPNameEntry {
        let isDirectory = (attributes.permissions ?? 0) & 0o040000 != 0
        let longname = "\(isDirectory ? "d" : "-")rw-r--r--    1 batchd   batchd   \(String(attributes.size ?? 0).leftPadded(12)) \(name)"
        return SFTPNameEntry(filename: name, longname: longname, attributes: attributes)
    }

    // MARK: - Handles and replies

    private func newHandle(_ handle: SFTPHandle) throws(IngestError) -> [UInt8] {
        guard handles.count < SFTPChannelHandler.maxHandles else { throw .tooManyHandles(SFTPChannelHandler.maxHandles) }
        let number = nextHandle
        nextHandle &+= 1
        handles[number] = handle
        return SFTPHandle.encode(number)
    }

    private func lookup(_ bytes: [UInt8]) throws(IngestError) -> SFTPHandle? {
        guard let number = SFTPHandle.decode(bytes), let handle = handles[number] else { throw .badHandle }
        return handle
    }

    private func ok(_ id: UInt32) -> SFTPResponse {
        .status(id: id, code: .ok, message: "")
    }

    /// OpenSSH clients print only a generic text for a status code, so
    /// refusals a user must understand also go to the channel's stderr,
    /// which `scp` and `sftp` show. Each message once per channel.
    private func tell(_ error: IngestError, on channel: SSHChannel) {
        switch error {
        case .noSuchFile, .alreadyExists, .badHandle, .notADirectory, .isADirectory:
            return
        default:
            let message = error.description
            guard told.insert(message).inserted else { return }
            logger.notice("upload request refused", metadata: ["reason": "\(message)"])
            channel.writeStderr("batchd: \(message)\n")
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
