/// A list of names for one log field: the first few, comma-separated, and
/// how many more there are. A topic may have thousands of subscribers, and
/// a line naming them all would hold up the log and whatever waits on it.
public enum NameListText {
    /// The first `shown` of `names`, then `,… (N more)` when some are left out.
    public static func abbreviated(_ names: [String], shown: Int = 8) -> String {
        let listed = names.prefix(max(shown, 0))
        let left = names.count - listed.count
        let text = listed.joined(separator: ",")
        return left > 0 ? text + ",… (\(left) more)" : text
    }
}
