import BatchCore

/// Where a path of the drop area points: a destination, the path below it,
/// and the source's open batch there, if there is one.
struct DropLocation {
    let destination: Destination
    /// The path below the destination; "" for the destination itself.
    let relative: String
    let batch: OpenBatch?
}
