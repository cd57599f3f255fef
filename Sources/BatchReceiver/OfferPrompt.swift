import BatchCore
import Foundation

/// `--accept ask`: shows an offer on the controlling terminal and reads
/// the answer, as the invention's dialog does.
enum OfferPrompt {
    enum Answer: Equatable {
        case accept
        case decline(String)
    }

    static func ask(_ offer: Offer) -> Answer {
        guard let tty = FileHandle(forUpdatingAtPath: "/dev/tty") else {
            return .decline("no terminal to ask on")
        }
        defer { try? tty.close() }
        // Names come from the source's client: shown escaped, so a name
        // holding ESC [ 2 J cannot clear or rewrite this terminal.
        var text = "\nBatch \(offer.batch) from \(TerminalText.escaped(offer.source)) to \(TerminalText.escaped(offer.destination)): "
        text += "\(offer.totalFiles) file\(offer.totalFiles == 1 ? "" : "s"), \(ByteCountText.format(offer.size)) compressed\n"
        for file in offer.files.prefix(20) {
            text += "  \(TerminalText.escaped(file.path))  (\(ByteCountText.format(file.size)))\n"
        }
        if offer.totalFiles > 20 { text += "  … and \(offer.totalFiles - 20) more\n" }
        text += "Accept? [y = yes, n = no, or type a reason to decline]: "
        tty.write(Data(text.utf8))
        let line = readLine(from: tty).trimmingCharacters(in: .whitespaces)
        switch line.lowercased() {
        case "y", "yes":
            return .accept
        case "", "n", "no":
            return .decline("declined at the terminal")
        default:
            return .decline(line)
        }
    }

    private static func readLine(from handle: FileHandle) -> String {
        var bytes: [UInt8] = []
        while bytes.count < 1024 {
            let chunk = handle.readData(ofLength: 1)
            guard let byte = chunk.first, byte != UInt8(ascii: "\n") else { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
