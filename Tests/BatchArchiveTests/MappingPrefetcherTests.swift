@testable import BatchArchive
import Foundation
import Testing

struct MappingPrefetcherTests {
    /// The mapping's resident size in kB, from the kernel's own account of
    /// it in /proc/self/smaps: pages with their page-table entries filled.
    private func residentKilobytes(of mapping: UnsafeRawPointer) throws -> Int? {
        // Read to the end: /proc files report a size of 0.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        let start = String(UInt(bitPattern: mapping), radix: 16)
        var inMapping = false
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), line[..<dash].allSatisfy(\.isHexDigit) {
                inMapping = line[..<dash].drop { $0 == "0" } == start[...].drop { $0 == "0" }
            } else if inMapping, line.hasPrefix("Rss:") {
                return Int(line.split(separator: " ")[1])
            }
        }
        return nil
    }

    /// Maps the first `size` bytes of the file at `path` read-only for `body`.
    private func withMapping(of path: String, size: Int, _ body: (UnsafeMutableRawPointer) throws -> Void) throws {
        let descriptor = open(path, O_RDONLY)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let mapped = try #require(mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0))
        try #require(mapped != MAP_FAILED)
        defer { munmap(mapped, size) }
        try body(mapped)
    }

    @Test func fillsTheWholeMappingWhileNobodyReadsIt() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("mapped")
        let size = 3 * MappingPrefetcher.step + 12_345
        try Data(repeating: 0x5a, count: size).write(to: URL(fileURLWithPath: path))
        try withMapping(of: path, size: size) { mapped in
            #expect(try residentKilobytes(of: mapped) == 0)
            let prefetcher = MappingPrefetcher(start: mapped, count: size)
            let wanted = (size + 4095) / 4096 * 4
            var resident = 0
            for _ in 0..<500 where resident < wanted {
                resident = try residentKilobytes(of: mapped) ?? 0
                if resident < wanted { usleep(10_000) }
            }
            prefetcher.stop()
            #expect(resident == wanted, "\(resident) kB of \(wanted) kB mapped in")
        }
    }

    @Test func stoppingTwiceIsHarmlessAndLeavesTheMappingReadable() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("mapped")
        let size = 64 * MappingPrefetcher.step
        // A sparse file: its pages are zeros the kernel makes on demand.
        try Data().write(to: URL(fileURLWithPath: path))
        try #require(truncate(path, off_t(size)) == 0)
        try withMapping(of: path, size: size) { mapped in
            let prefetcher = MappingPrefetcher(start: mapped, count: size)
            prefetcher.stop()
            prefetcher.stop()
            #expect(UnsafeRawBufferPointer(start: mapped, count: size)[size - 1] == 0)
        }
    }
}
