import BatchCore
import BatchStore
import SSHKit

extension DropServer {
    /// What renders the metrics page, on the metrics thread: live figures
    /// from counters, the rest from one catalogue snapshot.
    func metricsPage(ssh: SSHServer) -> @Sendable () -> String {
        let catalogue = context.catalogue
        let notifier = context.notifier
        let counters = context.counters
        let startTime = startTime.timeIntervalSince1970
        let logger = logger
        return {
            let live = LiveFigures(
                startTime: startTime, ssh: ssh.statistics, subscribers: notifier.subscriberCount,
                connectedTargets: notifier.connectedTargets,
                uploadsInProgress: counters.uploadsInProgress.load(ordering: .relaxed),
                ingestedBytes: counters.ingestedBytes.load(ordering: .relaxed))
            var stats: Stats?
            do {
                stats = try catalogue.stats()
            } catch {
                logger.error("metrics: cannot read the catalogue", metadata: ["error": "\(error)"])
            }
            return PrometheusText.render(MetricsReport(live: live, stats: stats).families)
        }
    }
}
