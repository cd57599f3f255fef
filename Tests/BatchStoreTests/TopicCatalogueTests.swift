import BatchCore
import BatchStore
import Testing

@Suite struct TopicCatalogueTests {
    @Test func topicsListSubscribersSorted() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        try catalogue.addTopic("empty")
        #expect(try catalogue.topics() == [
            TopicInfo(name: "empty", subscribers: []),
            TopicInfo(name: "ops", subscribers: ["bob", "carol"]),
        ])
    }

    @Test func topicsSubscribedByNamedUsersAreListedOnce() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        try catalogue.addTopic("dev")
        try catalogue.addTopic("empty")
        try catalogue.subscribe(topic: "dev", users: ["bob"])
        #expect(try catalogue.topics(subscribedBy: ["bob", "carol"]) == ["dev", "ops"])
        #expect(try catalogue.topics(subscribedBy: ["carol"]) == ["ops"])
        #expect(try catalogue.topics(subscribedBy: ["alice", "zed"]) == [])
        #expect(try catalogue.topics(subscribedBy: []) == [])
    }

    @Test func duplicateAndUnknownTopicsAreRefused() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        #expect(throws: StoreError.topicExists("ops")) { try catalogue.addTopic("ops") }
        #expect(throws: StoreError.unknownTopic("dev")) { try catalogue.removeTopic("dev") }
        #expect(throws: StoreError.unknownTopic("dev")) { try catalogue.subscribe(topic: "dev", users: ["bob"]) }
        #expect(throws: StoreError.invalidName("a/b")) { try catalogue.addTopic("a/b") }
    }

    @Test func unknownTopicMessageTellsWhereToLook() {
        #expect(StoreError.unknownTopic("ops").description == "topic 'ops' does not exist; batchctl topic list shows the topics")
    }

    @Test func subscribingANonTargetIsRefusedAndChangesNothing() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        try catalogue.addTopic("dev")
        #expect(throws: StoreError.notATarget("alice", .source)) {
            try catalogue.subscribe(topic: "dev", users: ["bob", "alice"])
        }
        #expect(throws: StoreError.unknownUser("zed")) {
            try catalogue.subscribe(topic: "dev", users: ["zed"])
        }
        #expect(try catalogue.topics().first { $0.name == "dev" }?.subscribers == [])
    }

    @Test func subscribingTwiceAndUnsubscribingAStrangerAreRefused() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        #expect(throws: StoreError.alreadySubscribed(user: "bob", topic: "ops")) {
            try catalogue.subscribe(topic: "ops", users: ["bob"])
        }
        try catalogue.unsubscribe(topic: "ops", users: ["bob"])
        #expect(throws: StoreError.notSubscribed(user: "bob", topic: "ops")) {
            try catalogue.unsubscribe(topic: "ops", users: ["bob"])
        }
        #expect(try catalogue.topics() == [TopicInfo(name: "ops", subscribers: ["carol"])])
    }

    @Test func removedTopicNoLongerExists() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        try catalogue.removeTopic("ops")
        #expect(try !catalogue.topicExists("ops"))
        #expect(try catalogue.users().first { $0.name == "bob" }?.topics == [])
    }

    @Test func recipientsOfTopicAreItsSubscribersEvenNone() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        try catalogue.addTopic("quiet")
        #expect(try catalogue.recipients(of: .topic("ops")) == ["bob", "carol"])
        #expect(try catalogue.recipients(of: .topic("quiet")) == [])
        #expect(throws: StoreError.unknownTopic("nope")) { try catalogue.recipients(of: .topic("nope")) }
    }

    @Test func recipientsOfUserListMustAllBeTargets() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        #expect(try catalogue.recipients(of: .users(["carol", "bob"])) == ["bob", "carol"])
        #expect(throws: StoreError.notATarget("root", .admin)) { try catalogue.recipients(of: .users(["bob", "root"])) }
        #expect(throws: StoreError.unknownUser("zed")) { try catalogue.recipients(of: .users(["zed"])) }
        #expect(StoreError.notATarget("zed", .source).description.hasPrefix("user 'zed' is not a target"))
    }
}
