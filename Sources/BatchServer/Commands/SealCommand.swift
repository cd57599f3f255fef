import BatchCore
import Dispatch
import Foundation

/// `seal DEST [--json]`: seals the source's open batch to DEST now and waits
/// for its verdict (the archive, the pre-seal hook, the catalogue). Prints
/// the batch id and exits 0, or prints why it did not seal and exits 1.
struct SealCommand: Sendable {
    let destination: Destination
    let json: Bool

    static let usage = "usage: seal DEST [--json]   (DEST: a topic, or @user,user)"

    /// Reads the words after `seal`; a bad one gives the sentence to print.
    static func parse(_ arguments: [String]) -> Result<SealCommand, SealUsageError> {
        var json = false
        var names: [String] = []
        for word in arguments {
            if word == "--json" {
                json = true
            } else if word.hasPrefix("-") {
                return .failure(SealUsageError("seal: unknown option '\(word)'; \(usage)"))
            } else {
                names.append(word)
            }
        }
        guard names.count == 1 else { return .failure(SealUsageError(usage)) }
        let component = names[0].split(separator: "/", omittingEmptySubsequences: true)
        guard component.count == 1 else {
            return .failure(SealUsageError("seal: '\(names[0])' is not a destination; \(usage)"))
        }
        do {
            return .success(SealCommand(destination: try Destination(component: String(component[0])), json: json))
        } catch {
            return .failure(SealUsageError("seal: \(error)"))
        }
    }

    /// Seals `source`'s batch and waits for the outcome; returns the exit status.
    func run(source: String, batches: OpenBatches, output: CommandOutput) -> Int32 {
        guard let batch = batches.toSeal(destination, source: source) else {
            return fail(IngestError.nothingToSeal(destination.component).description, batch: nil, output: output)
        }
        batch.seal()
        let done = DispatchSemaphore(value: 0)
        batch.verdict.wait { _ in done.signal() }
        done.wait()
        switch batch.verdict.outcome {
        case .sealed(let id)?:
            if json {
                output.write(encode(Reply(id: id, destination: destination.component, state: "sealed", error: nil)) + "\n")
            } else {
                output.write("\(id)\n")
            }
            return 0
        case .failed(let id, let reason)?:
            return fail("batch \(id) was not sealed: \(reason)", batch: id, output: output)
        case .discarded?, nil:
            return fail("nothing to seal: no file of your batch to '\(destination.component)' was uploaded completely",
                        batch: nil, output: output)
        }
    }

    private struct Reply: Encodable {
        let id: Int64?
        let destination: String
        let state: String
        let error: String?
    }

    private func fail(_ reason: String, batch: Int64?, output: CommandOutput) -> Int32 {
        if json {
            output.write(encode(Reply(id: batch, destination: destination.component, state: "failed", error: reason)) + "\n")
        } else {
            output.writeError("batchd: \(TerminalText.escaped(reason))\n")
        }
        return 1
    }

    private func encode(_ reply: Reply) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(reply)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// A `seal` command line that cannot run, with the sentence that says why
/// (raw: the refusal that prints it escapes what the client sent).
struct SealUsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
