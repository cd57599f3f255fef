import Dispatch
import Foundation
import Logging

extension PreSealHook {
    /// Lays the batch's `tree` out in `folder`, runs the hook on it off the
    /// caller's thread, logs its verdict, and calls `accepted`, or
    /// `rejected` with the reason for the catalogue.
    func vet(_ tree: [(path: String, stagingPath: String?)], in folder: String, environment: [String: String], logger: Logger,
             accepted: @escaping @Sendable () -> Void, rejected: @escaping @Sendable (String) -> Void) {
        DispatchQueue.global(qos: .utility).async {
            let started = ContinuousClock.now
            let verdict: Verdict
            let output: String
            do {
                try PreSealHook.lay(tree, in: folder)
                (verdict, output) = run(in: folder, environment: environment)
            } catch {
                (verdict, output) = (.rejected("the pre-seal hook could not be given the files: \(error.localizedDescription)"), "")
            }
            let took = "\((ContinuousClock.now - started).components.seconds) s"
            switch verdict {
            case .accepted:
                logger.info("pre-seal hook accepted the batch", metadata: ["took": "\(took)"])
                accepted()
            case .rejected(let reason):
                logger.notice("pre-seal hook rejected the batch", metadata: [
                    "reason": "\(reason)", "took": "\(took)", "output": "\(output.prefix(4096))",
                ])
                rejected(reason)
            }
        }
    }

    /// Lays the batch out in `folder` as the hook sees it: each folder
    /// created, each file a read-only hard link to its staged bytes.
    static func lay(_ entries: [(path: String, stagingPath: String?)], in folder: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for entry in entries {
            let target = folder + "/" + entry.path
            guard let staged = entry.stagingPath else {
                try manager.createDirectory(atPath: target, withIntermediateDirectories: true)
                continue
            }
            let parent = (target as NSString).deletingLastPathComponent
            try manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try manager.linkItem(atPath: staged, toPath: target)
            chmod(target, 0o444)
        }
    }
}
