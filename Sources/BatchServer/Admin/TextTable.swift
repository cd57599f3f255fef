import BatchCore

/// Left-aligned columns for human-readable listings, two spaces apart,
/// the last column unpadded. Cells hold names and reasons clients sent, so
/// every cell is shown through `TerminalText`: no escape sequence in a file
/// name reaches the admin's terminal.
struct TextTable {
    private var rows: [[String]]

    /// Starts a table with a header row.
    init(header: [String]) {
        rows = [header]
    }

    /// Adds a row with as many cells as the header.
    mutating func append(_ row: [String]) {
        rows.append(row.map(TerminalText.escaped))
    }

    /// The table's lines.
    var lines: [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() {
                widths[index] = max(widths[index], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            .joined(separator: "  ")
        }
    }
}
