/// One metric of the Prometheus text format: its name, type and help, and
/// its samples (one per set of label values).
public struct MetricFamily: Sendable, Equatable {
    /// The metric types batchd exposes.
    public enum Kind: String, Sendable {
        /// Only goes up (until the process restarts); the name ends `_total`.
        case counter
        /// Goes up and down.
        case gauge
    }

    /// A label name and its value.
    public struct Label: Sendable, Equatable {
        public var name: String
        public var value: String

        /// Creates a label.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// One value of the metric, with the labels that tell it apart.
    public struct Sample: Sendable, Equatable {
        public var labels: [Label]
        public var value: Double

        /// Creates a sample.
        public init(labels: [Label] = [], value: Double) {
            self.labels = labels
            self.value = value
        }
    }

    public var name: String
    public var kind: Kind
    public var help: String
    public var samples: [Sample]

    /// Creates a metric with its samples.
    public init(_ name: String, _ kind: Kind, help: String, samples: [Sample]) {
        self.name = name
        self.kind = kind
        self.help = help
        self.samples = samples
    }

    /// Creates a metric with one unlabelled sample.
    public init(_ name: String, _ kind: Kind, help: String, value: Double) {
        self.init(name, kind, help: help, samples: [Sample(value: value)])
    }

    /// Creates a metric with one sample per value of the label `label`,
    /// in the order of `keys` (every key appears, zero or not).
    public init(_ name: String, _ kind: Kind, help: String, label: String, keys: [String], values: [String: Int]) {
        self.init(name, kind, help: help, samples: keys.map {
            Sample(labels: [Label(label, $0)], value: Double(values[$0] ?? 0))
        })
    }
}
