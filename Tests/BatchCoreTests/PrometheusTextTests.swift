import BatchCore
import Testing

/// The Prometheus text exposition format 0.0.4, as batchd writes it.
@Suite struct PrometheusTextTests {
    @Test func eachMetricHasHelpTypeThenItsSamples() {
        let text = PrometheusText.render([
            MetricFamily("batchd_batches", .gauge, help: "Batches by state.", label: "state", keys: ["open", "sealed"],
                         values: ["sealed": 3]),
            MetricFamily("batchd_deliveries_total", .counter, help: "Deliveries.", value: 7),
        ])
        #expect(text == """
            # HELP batchd_batches Batches by state.
            # TYPE batchd_batches gauge
            batchd_batches{state="open"} 0
            batchd_batches{state="sealed"} 3
            # HELP batchd_deliveries_total Deliveries.
            # TYPE batchd_deliveries_total counter
            batchd_deliveries_total 7

            """)
    }

    @Test func labelValuesAndHelpAreEscaped() {
        let text = PrometheusText.render([
            MetricFamily("m", .gauge, help: "a \\ b\nc \"q\"", samples: [
                .init(labels: [.init("target", "we\"ird\\na\nme"), .init("kind", "x")], value: 1),
            ]),
        ])
        #expect(text.contains("# HELP m a \\\\ b\\nc \"q\"\n"))
        #expect(text.contains("m{target=\"we\\\"ird\\\\na\\nme\",kind=\"x\"} 1\n"))
    }

    @Test func numbersAreWholeWhenTheyCanBe() {
        let text = PrometheusText.render([
            MetricFamily("m", .gauge, help: "h", samples: [
                .init(labels: [.init("v", "a")], value: 24_000_000_000),
                .init(labels: [.init("v", "b")], value: 0.25),
                .init(labels: [.init("v", "c")], value: .infinity),
                .init(labels: [.init("v", "d")], value: -.infinity),
                .init(labels: [.init("v", "e")], value: .nan),
                .init(labels: [.init("v", "f")], value: -3),
            ]),
        ])
        let values = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: " ").last.map(String.init) }
        #expect(values == ["24000000000", "0.25", "+Inf", "-Inf", "NaN", "-3"])
    }

    @Test func namesFollowTheFormatsRules() {
        #expect(PrometheusText.isValidName("batchd_connections"))
        #expect(PrometheusText.isValidName("_x:y9"))
        #expect(!PrometheusText.isValidName("9lives"))
        #expect(!PrometheusText.isValidName("batchd-connections"))
        #expect(!PrometheusText.isValidName(""))
    }

    @Test func contentTypeNamesTheFormatVersion() {
        #expect(PrometheusText.contentType == "text/plain; version=0.0.4; charset=utf-8")
    }
}
