import BatchCore
import Logging
import SSHKit

/// Legacy `scp -t` (what `scp -O` runs on the server): the lock-step scp
/// protocol onto the same drop tree as SFTP. Runs on the channel's loop
/// thread; its rules follow OpenSSH's `sink()`.
/// Confined to its channel's loop thread: `SSHChannel.execute` runs the
/// closures that capture it there and nowhere else.
final class SCPChannelHandler: SSHChannelHandler, @unchecked Sendable {
    private let drops: DropSession
    private var logger: Logger
    private var parser: SCPSinkParser
    private var command: SCPCommand?
    private var destination: Destination?
    /// Folders entered so far, as paths below the destination; empty when
    /// the target names a new file or folder rather than an existing folder.
    private var folders: [String] = []
    /// The target's path below the destination, used when it is not a folder.
    private var targetName = ""
    private var times: (mtime: Int64, atime: Int64)?
    private var current: (batch: OpenBatch, file: StagedFile, offset: UInt64)?
    /// Why the file being received is skipped: its data is read and dropped.
    private var skipped: IngestError?
    private var errors = 0

    init(arguments: [String], channel: SSHChannel, drops: DropSession, logger: Logger) {
        self.drops = drops
        self.logger = logger
        self.logger[metadataKey: "channel"] = "scp"
        parser = SCPSinkParser(recursive: false, maxFileSize: drops.context.maxFileSize)
        do {
            let command = try SCPCommand.parse(arguments: ["scp"] + arguments)
            self.command = command
            parser = SCPSinkParser(command: command, maxFileSize: drops.context.maxFileSize)
        } catch {
            channel.execute { [self] in fail("\(error)", on: channel) }
            return
        }
        channel.execute { [self] in start(on: channel) }
    }

    // MARK: - SSHChannelHandler

    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer) {
        if let revoked = drops.revocation {
            logger.warning("data after the key was revoked; upload abandoned")
            current = nil
            drops.abandonAll()
            return fail(revoked.description, on: channel)
        }
        do {
            for event in try parser.feed(data) {
                try handle(event, on: channel)
                if channel.isClosed { return }
            }
        } catch {
            logger.warning("scp protocol error", metadata: ["error": "\(error)"])
            fail("\(error)", on: channel)
        }
    }

    /// The client sent everything: the channel leaves its batch and, when
    /// the batch seals by itself, waits for its seal (after the quiet time)
    /// while the client waits, so a refusal (the pre-seal hook's first line,
    /// a failed archive) reaches it on stderr with a non-zero exit, as `scp`
    /// shows. A batch that waits for an explicit `seal` gets its verdict there.
    func channelReceivedEOF(_ channel: SSHChannel) {
        do {
            try parser.finish()
        } catch {
            logger.warning("scp upload ended early", metadata: ["error": "\(error)"])
            errors += 1
        }
        let errors = self.errors
        interruptCurrent()
        drops.leaveAll { outcomes in
            channel.execute {
                let refusals = outcomes.compactMap(\.refusal)
                for refusal in refusals {
                    channel.writeStderr("batchd: \(TerminalText.escaped(refusal))\n")
                }
                channel.close(exitStatus: errors == 0 && refusals.isEmpty ? 0 : 1)
            }
        }
    }

    func channelClosed(_ channel: SSHChannel) {
        interruptCurrent()
        drops.leaveAll()
    }

    /// A file whose data had not all come is kept for a resume, not archived.
    private func interruptCurrent() {
        if let (batch, file, _) = current { batch.interrupt(file) }
        current = nil
    }

    // MARK: - Protocol

    private func start(on channel: SSHChannel) {
        guard let command else { return }
        do {
            let path = try drops.resolve(Array(command.target.utf8))
            guard let location = try drops.locate(path) else { throw IngestError.notInDestination(command.target) }
            destination = location.destination
            let relative = location.relative
            if relative.isEmpty || location.batch?.isDirectory(relative) == true {
                folders = [relative]
            } else if command.targetIsDirectory {
                throw IngestError.notADirectory(command.target)
            } else {
                targetName = relative
            }
            reply(try parser.accept(), on: channel)
        } catch let error as IngestError {
            fail(error.description, on: channel)
        } catch {
            fail("\(error)", on: channel)
        }
    }

    private func handle(_ event: SCPEvent, on channel: SSHChannel) throws(SCPError) {
        switch event {
        case .times(let mtime, let atime):
            times = (mtime, atime)
            reply(try parser.accept(), on: channel)
        case .enterDirectory(let mode, let name):
            let path: String
            do {
                path = try place(name)
                try drops.batch(for: destination!).ensureDirectory(path, mode: mode)
            } catch {
                return refuse(error, on: channel)
            }
            folders.append(path)
            times = nil
            reply(try parser.accept(), on: channel)
        case .exitDirectory:
            if folders.count > 1 || (folders.count == 1 && !targetName.isEmpty) {
                folders.removeLast()
            }
            reply(try parser.accept(), on: channel)
        case .fileStart(let mode, let size, let name):
            do throws(IngestError) {
                let path = try place(name)
                let batch = try drops.batch(for: destination!)
                let file = try batch.openFile(path, truncate: true, exclusive: false, mode: mode, mtime: times?.mtime,
                                              announcedSize: size)
                do {
                    // The size comes first: refuse before any data is sent.
                    try batch.budget.checkRoom(for: Int64(clamping: size))
                } catch {
                    batch.remove(file)
                    throw error
                }
                current = (batch, file, 0)
            } catch {
                return refuse(error, on: channel)
            }
            times = nil
            reply(try parser.accept(), on: channel)
        case .fileData(let bytes):
            guard let (batch, file, offset) = current else { return }
            do {
                try batch.write(file, bytes, at: offset)
                current = (batch, file, offset + UInt64(bytes.count))
            } catch {
                // Keep reading the rest of the file; refuse it at its end.
                logger.error("cannot stage scp data", metadata: ["error": "\(error)"])
                batch.remove(file)
                current = nil
                skipped = error
            }
        case .fileEnd:
            if let (batch, file, _) = current {
                batch.close(file)
                current = nil
                reply(try parser.accept(), on: channel)
            } else if let reason = skipped {
                skipped = nil
                errors += 1
                reply(try parser.reject(reason.description), on: channel)
            } else {
                reply(try parser.accept(), on: channel)
            }
        case .fileFailed(let message):
            if let (batch, file, _) = current {
                batch.remove(file)
                current = nil
            }
            logger.notice("client could not send a file", metadata: ["message": "\(message)"])
            reply(try parser.accept(), on: channel)
        case .sourceError(let fatal, let message):
            logger.notice("scp client reported an error", metadata: ["message": "\(message)", "fatal": "\(fatal)"])
        }
    }

    /// Where a record named `name` lands: inside the current folder, or at
    /// the target path itself when the target was not an existing folder.
    /// The whole path obeys every rule an SFTP path does (control and C1
    /// characters, backslashes, length, depth), since scp records add one
    /// name at a time and could otherwise build what SFTP refuses.
    private func place(_ name: String) throws(IngestError) -> String {
        let relative: String
        if let folder = folders.last {
            relative = folder.isEmpty ? name : folder + "/" + name
        } else {
            relative = targetName
        }
        do {
            _ = try DropPath.resolve("/" + destination!.component + "/" + relative, relativeTo: .root)
        } catch {
            throw .path(error)
        }
        return relative
    }

    private func reply(_ bytes: [UInt8], on channel: SSHChannel) {
        channel.write(bytes)
    }

    private func refuse(_ error: IngestError, on channel: SSHChannel) {
        errors += 1
        logger.notice("scp request refused", metadata: ["reason": "\(error.description)"])
        do {
            reply(try parser.reject(error.description), on: channel)
        } catch {
            fail("\(error)", on: channel)
        }
    }

    private func fail(_ message: String, on channel: SSHChannel) {
        errors += 1
        channel.write(SCPSinkParser.errorLine(message, fatal: true))
        channel.close(exitStatus: 1)
    }
}
