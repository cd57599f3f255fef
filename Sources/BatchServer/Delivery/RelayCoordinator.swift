import BatchCore
import BatchStore
import Foundation
import Locking
import Logging
import SSHKit

/// Turns the planner's choices into plans for the accepted targets of a
/// batch: each target learns where to fetch from (best first, the server
/// last) and which peers may fetch from it, with the keys the server
/// vouches for. Re-planned whenever a target accepts or a source fails.
final class RelayCoordinator: Sendable {
    private let catalogue: Catalogue
    private let strategy: RelayStrategy
    private let logger: Logger
    /// Target user → where it serves peers. The mutex guards only the map.
    private let endpoints = Locked<[String: PeerEndpoint]>([:])

    init(catalogue: Catalogue, strategy: RelayStrategy, logger: Logger) {
        self.catalogue = catalogue
        self.strategy = strategy
        self.logger = logger
    }

    /// Records a subscriber's peer listener. A wildcard host is replaced
    /// by the address the server sees the subscriber connect from.
    func register(user: String, listen: String?, hostKey: String?, seenFrom peer: PeerAddress) {
        guard let listen, let hostKey, let address = try? HostPort(parsing: listen) else {
            endpoints.withLock { _ = $0.removeValue(forKey: user) }
            return
        }
        // Other targets are sent where the server saw this one connect from,
        // never where it says: a target cannot point its peers at a loopback
        // service or someone else's host. Only the port is its own to give.
        let host = peer.host
        if !(address.isWildcard || address.host == "0.0.0.0" || address.host == "::"), address.host != host {
            logger.notice("a target's announced peer address is replaced by the one it connected from", metadata: [
                "user": "\(user)", "announced": "\(TerminalText.escaped(address.host))", "used": "\(host)",
            ])
        }
        let spelled = HostPort(host: host, port: address.port).description
        endpoints.withLock { $0[user] = PeerEndpoint(address: spelled, hostKey: hostKey) }
    }

    /// The plans of every accepted target of `batch`, by target. Only a
    /// target with a peer listener can be a source, so only such a target
    /// gets grants; when none of them has one, every plan is the server
    /// alone and nothing else is looked up: with many takers and no
    /// relays, an accept costs one plan, not one per target. `dropped`
    /// holds, per target, the sources it dropped for the batch.
    func plans(for batch: Int64, dropped: [String: Set<String>] = [:]) throws(StoreError) -> [String: Plan] {
        let accepted = try catalogue.acceptedTargets(batch: batch)
        let failed = Set(accepted.filter { $0.state == .failed }.map(\.target))
        let names = accepted.map(\.target)
        let known = endpoints.withLock { $0 }
        let serving = names.filter { known[$0] != nil && !failed.contains($0) }
        let serverOnly = [PlanSource.server]
        guard !serving.isEmpty else {
            logger.debug("relay plan: no accepted target serves peers; all fetch from the server", metadata: ["batch": "\(batch)"])
            return Dictionary(uniqueKeysWithValues: names.filter { !failed.contains($0) }.map {
                ($0, Plan(batch: batch, sources: serverOnly, grants: []))
            })
        }
        var samples: [(from: String, to: String, throughputBps: Double, rttMs: Double?)] = []
        for to in names {
            // Samples describe a link as its receiving end measured it, so
            // only the server and serving targets have any.
            for from in [PlanSource.serverName] + serving where from != to {
                // The catalogue lists newest first; the planner wants oldest first.
                for sample in try catalogue.linkSamples(from: from, to: to, limit: 10).reversed() {
                    samples.append((from, to, sample.throughputBps, sample.rttMs > 0 ? sample.rttMs : nil))
                }
            }
        }
        let plan = RelayPlanner(strategy: strategy, links: RelayPlanner.stats(from: samples))
            .plan(accepted: names, failed: failed, dropped: dropped)
        var keys: [String: [String]] = [:]
        for name in names { keys[name] = try catalogue.activeKeyLines(user: name) }
        var result: [String: Plan] = [:]
        for target in names where !failed.contains(target) {
            let ranked = plan.sources[target] ?? [PlanSource.serverName]
            let sources = ranked.compactMap { name -> PlanSource? in
                if name == PlanSource.serverName { return PlanSource.server }
                guard let endpoint = known[name] else { return nil }
                return PlanSource(name: name, address: endpoint.address, hostKey: endpoint.hostKey)
            }
            let grants = known[target] == nil ? [] : names.filter { $0 != target }.map { PeerGrant(user: $0, keys: keys[$0] ?? []) }
            result[target] = Plan(batch: batch, sources: sources.isEmpty ? serverOnly : sources, grants: grants)
        }
        logger.info("relay plan", metadata: [
            "batch": "\(batch)", "strategy": "\(strategy.rawValue)", "first": "\(plan.firstReceiver ?? "-")",
            "sources": "\(result.mapValues { $0.sources.map(\.name) }.sorted { $0.key < $1.key })",
        ])
        return result
    }
}
