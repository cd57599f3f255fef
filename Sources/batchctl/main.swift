import BatchServer
import Foundation

// `--key -` reads the whole of standard input, and only then.
let status = Batchctl.run(
    arguments: Array(CommandLine.arguments.dropFirst()),
    terminalColumns: Batchctl.standardErrorColumns(),
    readInput: { String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) },
    output: { FileHandle.standardOutput.write(Data($0.utf8)) },
    errorOutput: { FileHandle.standardError.write(Data($0.utf8)) })
exit(status)
