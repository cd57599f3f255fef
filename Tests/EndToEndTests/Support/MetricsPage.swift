import Foundation

/// A Prometheus text exposition (format 0.0.4) read strictly: every line
/// must be a HELP, a TYPE or a sample, and every sample must belong to a
/// metric whose HELP and TYPE came before it. `problems` lists what breaks
/// the format; the samples are kept for their values.
struct MetricsPage {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    private(set) var samples: [Sample] = []
    private(set) var help: [String: String] = [:]
    private(set) var types: [String: String] = [:]
    private(set) var problems: [String] = []

    private static let name = #"[a-zA-Z_:][a-zA-Z0-9_:]*"#
    private static let label = #"[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*""#
    private static let sampleLine = try! NSRegularExpression(
        pattern: "^(\(name))(?:\\{(\(label)(?:,\(label))*)\\})? (\\S+)$")
    private static let labelPair = try! NSRegularExpression(pattern: #"([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)""#)

    init(_ text: String) {
        guard text.hasSuffix("\n") else {
            problems.append("the page does not end with a line feed")
            return
        }
        for line in text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            read(line)
        }
    }

    private mutating func read(_ line: String) {
        let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        if line.hasPrefix("# HELP ") {
            guard words.count >= 3, help[words[2]] == nil else { return problems.append("bad or repeated HELP: \(line)") }
            help[words[2]] = words.count > 3 ? words[3] : ""
            return
        }
        if line.hasPrefix("# TYPE ") {
            guard words.count == 4, types[words[2]] == nil, help[words[2]] != nil,
                  ["counter", "gauge", "histogram", "summary", "untyped"].contains(words[3]) else {
                return problems.append("bad, repeated or HELP-less TYPE: \(line)")
            }
            types[words[2]] = words[3]
            return
        }
        let range = NSRange(line.startIndex..., in: line)
        guard let match = MetricsPage.sampleLine.firstMatch(in: line, range: range),
              let nameRange = Range(match.range(at: 1), in: line), let valueRange = Range(match.range(at: 3), in: line) else {
            return problems.append("not a sample line: \(line)")
        }
        let name = String(line[nameRange])
        let valueText = String(line[valueRange])
        guard let value = valueText == "+Inf" ? .infinity : valueText == "-Inf" ? -.infinity : Double(valueText) else {
            return problems.append("bad value: \(line)")
        }
        guard types[name] != nil else { return problems.append("sample before its TYPE: \(line)") }
        var labels: [String: String] = [:]
        if let labelRange = Range(match.range(at: 2), in: line) {
            let text = String(line[labelRange])
            for pair in MetricsPage.labelPair.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let key = Range(pair.range(at: 1), in: text), let value = Range(pair.range(at: 2), in: text) else { continue }
                labels[String(text[key])] = String(text[value])
            }
        }
        samples.append(Sample(name: name, labels: labels, value: value))
    }

    /// The value of `name` with exactly `labels`, or nil if absent.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }
}
