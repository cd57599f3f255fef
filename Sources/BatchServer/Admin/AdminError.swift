import BatchStore

/// Why a `batchctl` command failed. Each description is the one line the
/// admin sees after `batchctl: `; each case has the exit status of
/// sysexits(3) that scripts can test.
public enum AdminError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The command line is wrong (exit 64, EX_USAGE).
    case usage(String)
    /// The catalogue refused or failed the operation (exit 1; 69 when it cannot be opened).
    case store(StoreError)
    /// The key file cannot be read (exit 66, EX_NOINPUT).
    case keyFileUnreadable(path: String, reason: String)
    /// The key file holds something that is not an OpenSSH public key (exit 65, EX_DATAERR).
    case keyFileInvalid(path: String, reason: String)
    /// The config file cannot be read (exit 78, EX_CONFIG).
    case configUnreadable(path: String, reason: String)
    /// A purged batch's archive could not be deleted (exit 74, EX_IOERR).
    case archiveNotRemoved(path: String, reason: String)
    /// The output could not be produced (exit 70, EX_SOFTWARE).
    case output(String)
    /// `batch verify` found archives corrupt, missing or unreadable (exit 1).
    case verificationFailed(failed: Int, checked: Int)

    public var description: String {
        switch self {
        case .usage(let message):
            return message
        case .store(let error):
            return error.description
        case .keyFileUnreadable(let path, let reason):
            return "cannot read key file '\(path)': \(reason)"
        case .keyFileInvalid(let path, let reason):
            return "key file '\(path)' is not usable: \(reason)"
        case .configUnreadable(let path, let reason):
            return "cannot read config file '\(path)': \(reason)"
        case .archiveNotRemoved(let path, let reason):
            return "batch purged, but its archive '\(path)' could not be deleted: \(reason)"
        case .output(let reason):
            return "cannot format the output: \(reason)"
        case .verificationFailed(let failed, let checked):
            return "\(failed) of \(checked) batch\(checked == 1 ? "" : "es") failed verification"
        }
    }

    /// The admin's form of a purge that failed.
    init(_ error: PurgeError) {
        switch error {
        case .store(let error): self = .store(error)
        case .archiveNotRemoved(let path, let reason): self = .archiveNotRemoved(path: path, reason: reason)
        }
    }

    /// The process exit status for this error, from sysexits(3) where one fits.
    public var exitCode: Int32 {
        switch self {
        case .usage: return 64
        case .store(.cannotOpen): return 69
        case .store, .verificationFailed: return 1
        case .keyFileInvalid: return 65
        case .keyFileUnreadable: return 66
        case .output: return 70
        case .archiveNotRemoved: return 74
        case .configUnreadable: return 78
        }
    }
}
