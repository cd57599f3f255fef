import Testing
@testable import BatchCore

private let megabyte = 1_000_000.0

/// Link figures from `(from, to, bytes per second, rtt ms)` rows.
private func links(_ rows: [(String, String, Double?, Double?)]) -> [LinkKey: LinkStats] {
    var result: [LinkKey: LinkStats] = [:]
    for (from, to, throughput, rtt) in rows {
        result[LinkKey(from: from, to: to)] = LinkStats(throughputBps: throughput, rttMs: rtt, samples: 1)
    }
    return result
}

/// Checks what every plan promises: each accepted target has a list that
/// ends with the server, never names itself or a failed source, and the
/// first receiver fetches from the server alone.
private func expectWellFormed(
    _ plan: RelayPlan, accepted: [String], failed: Set<String> = [], sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(Set(plan.sources.keys) == Set(accepted), sourceLocation: sourceLocation)
    for (target, sources) in plan.sources {
        #expect(sources.last == "server", "\(target)", sourceLocation: sourceLocation)
        #expect(sources.filter { $0 == "server" }.count == 1, "\(target)", sourceLocation: sourceLocation)
        #expect(!sources.contains(target), "\(target) lists itself", sourceLocation: sourceLocation)
        #expect(failed.isDisjoint(with: sources), "\(target) lists a failed source", sourceLocation: sourceLocation)
    }
    if let first = plan.firstReceiver {
        #expect(plan.sources[first] == ["server"], sourceLocation: sourceLocation)
    }
}

/// A fleet's real link capacities, for simulating a plan.
private struct Fleet {
    var capacity: [LinkKey: Double] = [:]
    var defaultCapacity = 100 * megabyte

    func capacity(_ from: String, _ to: String) -> Double {
        capacity[LinkKey(from: from, to: to)] ?? defaultCapacity
    }

    /// The figures the planner would have learnt once every link was
    /// measured, through the same aggregation the server uses.
    var measured: [LinkKey: LinkStats] {
        RelayPlanner.stats(from: capacity.map { (from: $0.key.from, to: $0.key.to, throughputBps: $0.value, rttMs: nil) })
    }

    /// Estimates when the last target holds the archive if every target
    /// fetches everything from its primary source at once. An uplink is
    /// shared evenly by the copies it carries, a relay passes bytes on no
    /// faster than they reach it, and each hop waits for one piece before
    /// it can start. Returns the time and how many copies the server sends.
    func simulate(_ plan: RelayPlan, size: Double, pieceSize: Double) -> (makespan: Double, serverCopies: Int) {
        var children: [String: [String]] = [:]
        for (target, sources) in plan.sources {
            if let primary = sources.first { children[primary, default: []].append(target) }
        }
        var rate = ["server": Double.infinity]
        var start = ["server": 0.0]
        var makespan = 0.0
        var queue = ["server"]
        while !queue.isEmpty {
            let upstream = queue.removeFirst()
            let downstream = children[upstream, default: []]
            for target in downstream {
                let share = capacity(upstream, target) / Double(downstream.count)
                rate[target] = min(rate[upstream, default: 0], share)
                start[target] = start[upstream, default: 0] + pieceSize / share
                makespan = max(makespan, start[target, default: 0] + size / rate[target, default: 1])
                queue.append(target)
            }
        }
        return (makespan, children["server", default: []].count)
    }
}

/// Each target fetches from the one accepted just before it.
private func naiveChain(_ targets: [String]) -> RelayPlan {
    var sources: [String: [String]] = [:]
    for (index, target) in targets.enumerated() {
        sources[target] = index == 0 ? ["server"] : [targets[index - 1], "server"]
    }
    return RelayPlan(firstReceiver: targets.first, sources: sources)
}

private func names(_ count: Int) -> [String] {
    (0 ..< count).map { "t\($0)" }
}

/// The relay planner: who gets the batch from the server, and where each
/// other target fetches it from.
@Suite struct RelayPlannerTests {
    @Test func aSingleTargetFetchesFromTheServerOnly() {
        for strategy in RelayStrategy.allCases {
            let plan = RelayPlanner(strategy: strategy, links: [:]).plan(accepted: ["bob"], failed: [])
            #expect(plan == RelayPlan(firstReceiver: "bob", sources: ["bob": ["server"]]))
        }
    }

    @Test func nobodyAcceptedMeansNoFirstReceiver() {
        let plan = RelayPlanner(strategy: .throughput, links: [:]).plan(accepted: [], failed: [])
        #expect(plan == RelayPlan(firstReceiver: nil, sources: [:]))
    }

    @Test func homogeneousTargetsFormAChainWithOneCopyPerUplink() {
        let targets = ["a", "b", "c", "d"]
        for strategy in RelayStrategy.allCases {
            let plan = RelayPlanner(strategy: strategy, links: [:]).plan(accepted: targets, failed: [])
            expectWellFormed(plan, accepted: targets)
            #expect(plan.firstReceiver == "a")
            #expect(targets.map { plan.primary(of: $0) } == ["server", "a", "b", "c"])
            // The server is a source only for the first receiver, and a
            // fallback for the others.
            for target in targets.dropFirst() {
                #expect(plan.sources[target]?.dropLast().contains("server") == false)
            }
            // Alternates: every other target placed before, then the server.
            #expect(plan.sources["d"]?.count == 4)
        }
    }

    @Test func sourcesAreOnlyTargetsAcceptedEarlier() {
        let targets = names(6)
        let plan = RelayPlanner(strategy: .throughput, links: [:]).plan(accepted: targets, failed: [])
        for (index, target) in targets.enumerated() {
            #expect(Set(plan.sources[target, default: []].dropLast()) == Set(targets[..<index]))
        }
    }

    @Test func aSlowPeerIsNotAPrimaryWhenOthersCanServe() {
        let measured = links([
            ("server", "a", 100 * megabyte, nil), ("a", "b", 100 * megabyte, nil),
            ("a", "c", 100 * megabyte, nil), ("a", "d", 100 * megabyte, nil),
            ("b", "c", 1 * megabyte, nil), ("b", "d", 1 * megabyte, nil),
            ("c", "d", 100 * megabyte, nil),
        ])
        let plan = RelayPlanner(strategy: .throughput, links: measured).plan(accepted: ["a", "b", "c", "d"], failed: [])
        expectWellFormed(plan, accepted: ["a", "b", "c", "d"])
        #expect(plan.primary(of: "b") == "a")
        #expect(plan.primary(of: "c") == "a")
        #expect(plan.primary(of: "d") == "c")
        // Still an alternate, ranked last among the peers.
        #expect(plan.sources["d"] == ["c", "a", "b", "server"])
    }

    @Test func anUplinkAlreadyCarryingACopyCountsAsShared() {
        // a → c is the faster link, but a already sends b its copy.
        let measured = links([
            ("server", "a", 100 * megabyte, 1), ("a", "b", 100 * megabyte, 1),
            ("a", "c", 100 * megabyte, 1), ("b", "c", 80 * megabyte, 1.5),
        ])
        for strategy in RelayStrategy.allCases {
            let plan = RelayPlanner(strategy: strategy, links: measured).plan(accepted: ["a", "b", "c"], failed: [])
            #expect(plan.sources["c"] == ["b", "a", "server"], "\(strategy)")
        }
    }

    @Test func aRelayPassesBytesOnNoFasterThanItReceivesThem() {
        // b has a fat link to c but receives at only 10 MB/s itself.
        let measured = links([
            ("server", "a", 100 * megabyte, nil), ("a", "b", 10 * megabyte, nil),
            ("a", "c", 30 * megabyte, nil), ("b", "c", 100 * megabyte, nil),
        ])
        let plan = RelayPlanner(strategy: .throughput, links: measured).plan(accepted: ["a", "b", "c"], failed: [])
        #expect(plan.sources["c"] == ["a", "b", "server"])
    }

    @Test func aDeadPeerDisappearsAndItsDependantsMoveToOthers() {
        let targets = ["a", "b", "c", "d"]
        let planner = RelayPlanner(strategy: .throughput, links: [:])
        let before = planner.plan(accepted: targets, failed: [])
        #expect(before.primary(of: "c") == "b")

        let after = planner.plan(accepted: targets, failed: ["b"])
        expectWellFormed(after, accepted: targets, failed: ["b"])
        for (target, sources) in after.sources {
            #expect(!sources.contains("b"), "\(target)")
        }
        #expect(after.primary(of: "c") == "a")
        #expect(after.primary(of: "d") == "c")
        // Targets accepted before the dead one keep their sources.
        #expect(after.sources["a"] == before.sources["a"])
        // The dead peer is still planned as a leaf, in case it comes back.
        #expect(after.primary(of: "b") != nil)
    }

    @Test func aDroppedSourceLeavesOnlyTheTargetThatDroppedIt() {
        let targets = ["a", "b", "c", "d"]
        let planner = RelayPlanner(strategy: .throughput, links: [:])
        let before = planner.plan(accepted: targets, failed: [])
        #expect(before.primary(of: "c") == "b")
        #expect(before.sources["d"]?.contains("b") == true)

        let after = planner.plan(accepted: targets, failed: [], dropped: ["c": ["b"]])
        expectWellFormed(after, accepted: targets)
        #expect(after.sources["c"]?.contains("b") == false)
        #expect(after.primary(of: "c") == "a")
        // One target's word does not take b from the others.
        #expect(after.sources["d"]?.contains("b") == true)
        #expect(after.sources["b"] == before.sources["b"])
    }

    @Test func aSourceTwoTargetsDroppedIsNobodysSource() {
        let targets = ["a", "b", "c", "d"]
        let plan = RelayPlanner(strategy: .throughput, links: [:])
            .plan(accepted: targets, failed: [], dropped: ["c": ["b"], "d": ["b", "zed"], "b": ["b"]])
        expectWellFormed(plan, accepted: targets, failed: ["b"])
        // A target naming itself, or a name that is no target, counts for nothing.
        #expect(RelayPlanner.distrusted(by: ["b": ["b"], "c": ["zed"]]).isEmpty)
    }

    @Test func aTargetThatDroppedEveryPeerFetchesFromTheServerAndStillServes() {
        let plan = RelayPlanner(strategy: .throughput, links: [:])
            .plan(accepted: ["a", "b", "c"], failed: [], dropped: ["b": ["a"]])
        #expect(plan.sources["b"] == ["server"])
        #expect(plan.sources["c"]?.contains("b") == true)
    }

    @Test func aFailedFirstReceiverHandsTheServerToTheNextTarget() {
        let plan = RelayPlanner(strategy: .throughput, links: [:]).plan(accepted: ["a", "b", "c"], failed: ["a"])
        expectWellFormed(plan, accepted: ["a", "b", "c"], failed: ["a"])
        #expect(plan.firstReceiver == "b")
        #expect(plan.sources["b"] == ["server"])
        #expect(plan.sources["c"] == ["b", "server"])
        // b's uplink already carries c's copy, so the failed a, a leaf now,
        // is better served by c.
        #expect(plan.sources["a"] == ["c", "b", "server"])
    }

    @Test func aTargetWhoseUpstreamsAllFailedFetchesFromTheServer() {
        let plan = RelayPlanner(strategy: .latency, links: [:]).plan(accepted: ["a", "b"], failed: ["a"])
        #expect(plan.sources["b"] == ["server"])
        let none = RelayPlanner(strategy: .latency, links: [:]).plan(accepted: ["a", "b"], failed: ["a", "b"])
        #expect(none == RelayPlan(firstReceiver: nil, sources: ["a": ["server"], "b": ["server"]]))
    }

    @Test func latencyPrefersTheNearPeerAndThroughputTheFastOne() {
        // c is near a (1 ms) over a thin link, and far from b (30 ms) over a
        // fat one.
        let measured = links([
            ("server", "a", 100 * megabyte, 1), ("a", "b", 100 * megabyte, 1),
            ("a", "c", 10 * megabyte, 1), ("b", "c", 100 * megabyte, 30),
        ])
        let accepted = ["a", "b", "c"]
        let byThroughput = RelayPlanner(strategy: .throughput, links: measured).plan(accepted: accepted, failed: [])
        let byLatency = RelayPlanner(strategy: .latency, links: measured).plan(accepted: accepted, failed: [])
        #expect(byThroughput.sources["c"] == ["b", "a", "server"])
        #expect(byLatency.sources["c"] == ["a", "b", "server"])
    }

    @Test func unmeasuredLinksAreTriedBeforeAPoorMeasuredOne() {
        let known: [(String, String, Double?, Double?)] = [
            ("server", "a", 100 * megabyte, 1), ("a", "b", 100 * megabyte, 1), ("b", "c", 5 * megabyte, 40),
        ]
        for strategy in RelayStrategy.allCases {
            let explore = RelayPlanner(strategy: strategy, links: links(known)).plan(accepted: ["a", "b", "c"], failed: [])
            #expect(explore.primary(of: "c") == "a", "\(strategy)")
        }
        // Once a → c is measured and found worse, b is used.
        let exploit = RelayPlanner(strategy: .throughput, links: links(known + [("a", "c", 2 * megabyte, nil)]))
            .plan(accepted: ["a", "b", "c"], failed: [])
        #expect(exploit.primary(of: "c") == "b")
    }

    @Test func equalInputsGiveEqualPlansAndTiesGoByName() {
        let targets = ["d", "a", "c", "b", "e"]
        let rows: [(String, String, Double?, Double?)] = [("d", "a", 50 * megabyte, 2), ("a", "c", 50 * megabyte, 2)]
        let first = RelayPlanner(strategy: .throughput, links: links(rows)).plan(accepted: targets, failed: ["c"])
        for _ in 0 ..< 20 {
            // Dictionaries are rebuilt each time, so their order differs.
            #expect(RelayPlanner(strategy: .throughput, links: links(rows.reversed())).plan(accepted: targets, failed: ["c"])
                == first)
        }
        // Latency, nothing measured: d's uplink is free, a and b tie on
        // load and round-trip time, so they follow in name order.
        let tied = RelayPlanner(strategy: .latency, links: [:]).plan(accepted: ["b", "a", "d", "c"], failed: [])
        #expect(tied.sources["c"] == ["d", "a", "b", "server"])
    }

    @Test func repeatedNamesAndTheServerNameAreNotTargets() {
        let plan = RelayPlanner(strategy: .throughput, links: [:]).plan(accepted: ["a", "server", "b", "a"], failed: [])
        #expect(plan == RelayPlan(firstReceiver: "a", sources: ["a": ["server"], "b": ["a", "server"]]))
    }

    @Test func peerSourcesAreCappedButTheServerIsKept() {
        let targets = names(20)
        let plan = RelayPlanner(strategy: .throughput, links: [:], maxPeerSources: 3).plan(accepted: targets, failed: [])
        expectWellFormed(plan, accepted: targets)
        #expect(plan.sources.values.allSatisfy { $0.count <= 4 })
        #expect(plan.sources["t19"]?.count == 4)
        let direct = RelayPlanner(strategy: .throughput, links: [:], maxPeerSources: 0).plan(accepted: targets, failed: [])
        #expect(direct.sources.values.allSatisfy { $0 == ["server"] })
    }

    @Test func nonsenseFiguresCountAsUnmeasured() {
        let measured = links([("a", "b", .nan, -1), ("a", "c", -.infinity, .infinity)])
        for strategy in RelayStrategy.allCases {
            let plan = RelayPlanner(strategy: strategy, links: measured).plan(accepted: ["a", "b", "c"], failed: [])
            #expect(plan == RelayPlanner(strategy: strategy, links: [:]).plan(accepted: ["a", "b", "c"], failed: []))
        }
    }

    // MARK: - Samples

    @Test func statsTakeTheMedianOfTheNewestSamples() throws {
        var samples: [(from: String, to: String, throughputBps: Double, rttMs: Double?)] = []
        // Old samples of a link that has since become slow.
        for _ in 0 ..< 10 { samples.append(("a", "b", 100, 1)) }
        for value in [10.0, 12, 900, 11, 9] { samples.append(("a", "b", value, nil)) }
        samples.append(("server", "a", 50, 0.5))
        samples.append(("server", "a", 70, 1.5))
        samples.append(("b", "c", .nan, 3))
        let stats = RelayPlanner.stats(from: samples)
        #expect(stats[LinkKey(from: "a", to: "b")] == LinkStats(throughputBps: 11, rttMs: 1, samples: 15))
        #expect(stats[LinkKey(from: "server", to: "a")] == LinkStats(throughputBps: 60, rttMs: 1, samples: 2))
        #expect(stats[LinkKey(from: "b", to: "c")] == LinkStats(throughputBps: nil, rttMs: 3, samples: 1))
        #expect(stats[LinkKey(from: "b", to: "a")] == nil)
    }

    // MARK: - Simulated fleets

    @Test(arguments: [4, 8])
    func homogeneousFleetFinishesInAboutOneCopysTime(count: Int) {
        let fleet = Fleet()
        let size = 1_000 * megabyte
        let piece = 4 * megabyte
        let copy = size / fleet.defaultCapacity
        let targets = names(count)
        for strategy in RelayStrategy.allCases {
            let plan = RelayPlanner(strategy: strategy, links: fleet.measured).plan(accepted: targets, failed: [])
            let result = fleet.simulate(plan, size: size, pieceSize: piece)
            #expect(result.serverCopies == 1)
            // One copy's time plus a piece per hop.
            #expect(result.makespan <= copy + Double(count) * piece / fleet.defaultCapacity + 1e-6)
            // A star from the server would take one copy per target.
            let star = RelayPlan(firstReceiver: nil, sources: Dictionary(uniqueKeysWithValues: targets.map { ($0, ["server"]) }))
            #expect(fleet.simulate(star, size: size, pieceSize: piece).makespan >= Double(count) * copy)
        }
    }

    @Test(arguments: [4, 8])
    func aMeasuredSlowUplinkIsRoutedAround(count: Int) {
        let targets = names(count)
        let slow = targets[count / 2 - 1]
        var fleet = Fleet()
        for from in ["server"] + targets {
            for to in targets where to != from {
                fleet.capacity[LinkKey(from: from, to: to)] = from == slow ? 5 * megabyte : 100 * megabyte
            }
        }
        let size = 1_000 * megabyte
        let piece = 4 * megabyte
        let plan = RelayPlanner(strategy: .throughput, links: fleet.measured).plan(accepted: targets, failed: [])
        expectWellFormed(plan, accepted: targets)
        #expect(!plan.sources.values.contains { $0.first == slow })
        let planned = fleet.simulate(plan, size: size, pieceSize: piece)
        let naive = fleet.simulate(naiveChain(targets), size: size, pieceSize: piece)
        #expect(planned.serverCopies == 1)
        #expect(planned.makespan * 4 < naive.makespan)
        // Sharing one uplink between two copies at most halves the rate.
        #expect(planned.makespan <= 2 * size / (100 * megabyte) + Double(count) * piece / (5 * megabyte))
    }
}
