import BatchServer
import Testing

/// Which settings a topic gets from the top level and the `Match Topic`
/// blocks of batchd.conf(5).
@Suite struct TopicRulesTests {
    private func rules(_ text: String) throws -> TopicRules {
        try ServerConfiguration.parse(text: text, fileName: "test.conf").topics
    }

    @Test func blocksApplyInFileOrderOverTheDefaults() throws {
        let rules = try rules("""
            Retention 30d
            MaxBatchSize 1G
            Match Topic ops*
                Retention 7d
            Match Topic ops-big
                MaxBatchSize none
                Retention 1d
            """)
        #expect(rules.policy(forTopic: "ops").retention == 7 * 86_400)
        #expect(rules.policy(forTopic: "ops").maxBatchSize == 1 << 30)
        #expect(rules.policy(forTopic: "ops-big").retention == 86_400)
        #expect(rules.policy(forTopic: "ops-big").maxBatchSize == nil)
        #expect(rules.policy(forTopic: "finance").retention == 30 * 86_400)
        #expect(rules.policy(forTopic: nil).retention == 30 * 86_400, "drops to @users take the defaults")
        #expect(rules.shortestRetention == 86_400)
    }

    @Test func negatedPatternsExcludeTopics() throws {
        let rules = try rules("Match Topic reports-*,!reports-test\n  SourceQuota 1M\n")
        #expect(rules.policy(forTopic: "reports-day").sourceQuota == 1 << 20)
        #expect(rules.policy(forTopic: "reports-test").sourceQuota == nil)
        #expect(rules.policy(forTopic: "reports").sourceQuota == nil)
        #expect(rules.policy(forTopic: "ops").sourceQuota == nil)
    }

    @Test func nothingExpiresWithoutARetention() throws {
        let rules = try rules("MaxBatchSize 1G\nMatch All\nPreSealHook /bin/true\n")
        #expect(rules.shortestRetention == nil)
        #expect(rules.defaults.preSealHook == "/bin/true")
        #expect(rules.defaults.preSealTimeout == 60)
    }
}
