import ArgumentParser
import BatchCore

// Lets `--role` take `source`, `target` or `admin`, and lists them in help
// and in the error for any other word.
extension Role: ExpressibleByArgument {}
