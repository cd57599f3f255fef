import BatchCore
import Testing

/// KexAlgorithms, Ciphers, MACs and HostKeyAlgorithms as sshd_config(5) writes them.
@Suite struct AlgorithmListTests {
    private let defaults = ["a-1", "a-2", "b-1"]
    private let supported = ["a-1", "a-2", "b-1", "c-1", "c-2"]

    private func resolve(_ value: String) throws -> [String] {
        try AlgorithmList.resolve(value, defaults: defaults, supported: supported)
    }

    @Test func aPlainListReplacesTheDefaults() throws {
        #expect(try resolve("c-1,a-1") == ["c-1", "a-1"])
        #expect(try resolve("c-1,c-1") == ["c-1"])
    }

    @Test func plusAppendsCaretPrependsMinusRemoves() throws {
        #expect(try resolve("+c-1,a-1") == ["a-1", "a-2", "b-1", "c-1"])
        #expect(try resolve("^c-2,b-1") == ["c-2", "b-1", "a-1", "a-2"])
        #expect(try resolve("-a-2") == ["a-1", "b-1"])
    }

    @Test func minusTakesWildcards() throws {
        #expect(try resolve("-a-*") == ["b-1"])
        #expect(try resolve("-?-1") == ["a-2"])
    }

    @Test func unknownNamesEmptyListsAndRemovingEverythingAreRefused() {
        #expect(throws: ConfigProblem.self) { try resolve("nosuch") }
        #expect(throws: ConfigProblem.self) { try resolve("+a-1,nosuch") }
        #expect(throws: ConfigProblem.self) { try resolve("-zz*") }
        #expect(throws: ConfigProblem.self) { try resolve("a-1,,b-1") }
        #expect(throws: ConfigProblem.self) { try resolve("") }
        #expect(throws: ConfigProblem.self) { try resolve("-*") }
        // A wildcard is for removal only.
        #expect(throws: ConfigProblem.self) { try resolve("a-*") }
    }
}
