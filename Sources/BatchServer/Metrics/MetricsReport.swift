import BatchCore
import BatchStore

/// The metrics page: the running server's figures, then the catalogue's.
/// When the catalogue cannot be read, `batchd_catalogue_up` is 0 and its
/// figures are left out rather than shown as zeroes.
struct MetricsReport {
    let live: LiveFigures
    let stats: Stats?

    var families: [MetricFamily] {
        liveFamilies + targetFamilies + [
            MetricFamily("batchd_catalogue_up", .gauge, help: "1 if the catalogue could be read for this scrape, else 0.",
                         value: stats == nil ? 0 : 1),
        ] + catalogueFamilies
    }

    private var liveFamilies: [MetricFamily] {
        [
            MetricFamily("batchd_start_time_seconds", .gauge, help: "When batchd started, in Unix seconds.",
                         value: live.startTime.rounded(.down)),
            MetricFamily("batchd_connections", .gauge, help: "SSH connections open, logged in or not.",
                         value: Double(live.ssh.connections)),
            MetricFamily("batchd_sessions_authenticated", .gauge, help: "SSH connections open that authenticated.",
                         value: Double(live.ssh.authenticated)),
            MetricFamily("batchd_authentication_failures_total", .counter, help: "Failed authentication attempts since start.",
                         value: Double(live.ssh.authenticationFailures)),
            MetricFamily("batchd_connections_refused_total", .counter,
                         help: "Connections closed on accept since start (MaxStartups, PerSourceMaxStartups, PerSourcePenalties).",
                         value: Double(live.ssh.refusedConnections)),
            MetricFamily("batchd_penalized_addresses", .gauge, help: "Source addresses serving a PerSourcePenalties penalty.",
                         value: Double(live.ssh.penalizedSources)),
            MetricFamily("batchd_subscribers_connected", .gauge, help: "Subscribe channels open.",
                         value: Double(live.subscribers)),
            MetricFamily("batchd_uploads_in_progress", .gauge, help: "Batches being uploaded, not yet sealing.",
                         value: Double(live.uploadsInProgress)),
            MetricFamily("batchd_ingested_bytes_total", .counter, help: "Bytes uploaded by sources since start, complete files or not.",
                         value: Double(live.ingestedBytes)),
        ]
    }

    private var targetFamilies: [MetricFamily] {
        let known = stats.map { $0.targets.map(\.user) } ?? []
        let users = Set(known).union(live.connectedTargets).sorted()
        var families = [
            MetricFamily("batchd_target_connected", .gauge, help: "1 if the target has a subscribe channel open, else 0.",
                         samples: users.map {
                             .init(labels: [.init("target", $0)], value: live.connectedTargets.contains($0) ? 1 : 0)
                         }),
        ]
        if let stats {
            families.append(MetricFamily(
                "batchd_target_last_delivery_timestamp_seconds", .gauge,
                help: "When the target's last delivery completed, in Unix seconds; absent if it has had none.",
                samples: stats.targets.compactMap { target in
                    target.lastDeliveryAt.map { .init(labels: [.init("target", target.user)], value: Double($0)) }
                }))
        }
        return families
    }

    private var catalogueFamilies: [MetricFamily] {
        guard let stats else { return [] }
        return [
            MetricFamily("batchd_users", .gauge, help: "Users in the catalogue, by role.",
                         label: "role", keys: Role.allCases.map(\.rawValue), values: stats.users),
            MetricFamily("batchd_topics", .gauge, help: "Topics in the catalogue.", value: Double(stats.topics)),
            MetricFamily("batchd_batches", .gauge, help: "Batches in the catalogue, by state.",
                         label: "state", keys: BatchState.allCases.map(\.rawValue), values: stats.batches),
            MetricFamily("batchd_sealed_bytes", .gauge, help: "Bytes of the sealed archives held.",
                         value: Double(stats.sealedBytes)),
            MetricFamily("batchd_dropped_bytes_total", .counter, help: "Archive bytes of every batch ever sealed, purged ones included.",
                         value: Double(stats.droppedBytes)),
            MetricFamily("batchd_offers", .gauge, help: "Offers in the catalogue, by state.",
                         label: "state", keys: OfferState.allCases.map(\.rawValue), values: stats.offers),
            MetricFamily("batchd_deliveries_total", .counter, help: "Offers delivered: a target holds the verified archive.",
                         value: Double(stats.deliveries)),
            MetricFamily("batchd_delivered_bytes_total", .counter,
                         help: "Bytes delivered targets received, by sender: the server, or peer targets relaying.",
                         samples: [
                             .init(labels: [.init("source", PlanSource.serverName)], value: Double(stats.relay.serverBytes)),
                             .init(labels: [.init("source", "peer")], value: Double(stats.relay.peerBytes)),
                         ]),
        ]
    }
}
