import Locking

/// How much of one resource each user holds, across all connections and
/// channels, against a limit the caller gives (the current config's). The
/// lock guards only the table.
final class UserAllowance: Sendable {
    private let counts = Locked<[String: Int]>([:])

    /// Takes one for `user` if that keeps them within `limit`; false,
    /// changing nothing, if it would not.
    func take(for user: String, limit: Int) -> Bool {
        counts.withLock { table in
            let held = table[user, default: 0]
            guard held < limit else { return false }
            table[user] = held + 1
            return true
        }
    }

    /// Gives one back that `take` granted.
    func give(for user: String) {
        counts.withLock { table in
            let held = table[user, default: 0] - 1
            table[user] = held > 0 ? held : nil
        }
    }

    /// What `user` holds now.
    func held(by user: String) -> Int {
        counts.withLock { $0[user, default: 0] }
    }
}
