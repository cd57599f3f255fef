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

    @Test func aDropToNamedUsersTakesTheStrictestRulesOfTheirTopics() throws {
        let rules = try rules("""
            MaxBatchSize 10G
            PreSealHook /usr/bin/scan-all
            Match Topic ops
                MaxBatchSize 1G
                SourceQuota 5G
                PreSealHook /usr/bin/scan-ops
                PreSealTimeout 5m
            Match Topic finance
                SourceQuota 2G
            """)
        let both = rules.policy(forUsersSubscribedTo: ["ops", "finance"])
        #expect(both.maxBatchSize == 1 << 30)
        #expect(both.sourceQuota == 2 << 30)
        #expect(both.preSealHook == #"/usr/bin/scan-all "$1" && /usr/bin/scan-ops"#)
        #expect(both.preSealTimeout == 300)
        // A recipient on no topic gets the top level's rules.
        #expect(rules.policy(forUsersSubscribedTo: []) == rules.policy(forTopic: nil))
    }

    @Test func negatedPatternsExcludeTopics() throws {
        let rules = try rules("Match Topic reports-*,!reports-test\n  SourceQuota 1M\n")
        #expect(rules.policy(forTopic: "reports-day").sourceQuota == 1 << 20)
        #expect(rules.policy(forTopic: "reports-test").sourceQuota == TopicPolicy.defaultSourceQuota)
        #expect(rules.policy(forTopic: "reports").sourceQuota == TopicPolicy.defaultSourceQuota)
        #expect(rules.policy(forTopic: "ops").sourceQuota == TopicPolicy.defaultSourceQuota)
    }

    @Test func nothingExpiresWithoutARetention() throws {
        let rules = try rules("MaxBatchSize 1G\nMatch All\nPreSealHook /bin/true\n")
        #expect(rules.shortestRetention == nil)
        #expect(rules.defaults.preSealHook == "/bin/true")
        #expect(rules.defaults.preSealTimeout == 60)
    }
}
