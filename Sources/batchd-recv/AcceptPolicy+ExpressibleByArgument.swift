import ArgumentParser
import BatchReceiver

// Lets `--accept` take `auto`, `never` or `ask`, and lists them in help and
// in the error for any other word.
extension AcceptPolicy: ExpressibleByArgument {}
