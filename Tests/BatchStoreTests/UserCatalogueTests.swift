import BatchCore
import BatchStore
import Testing

@Suite struct UserCatalogueTests {
    @Test func addedUserIsListedWithRoleKeysAndTopics() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let users = try catalogue.users()
        #expect(users.map(\.name) == ["alice", "bob", "carol", "root"])
        let bob = try #require(users.first { $0.name == "bob" })
        #expect(bob.role == .target)
        #expect(bob.keys == 1)
        #expect(bob.topics == ["ops"])
        #expect(try catalogue.access()["alice"]?.role == .source)
        #expect(try catalogue.access()["nobody"]?.role == nil)
    }

    @Test func duplicateUserIsRefused() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        #expect(throws: StoreError.userExists("bob")) {
            try catalogue.addUser(name: "bob", role: .target, keys: [sampleKey(9)])
        }
    }

    @Test func invalidUserNameIsRefused() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try directory.catalogue()
        #expect(throws: StoreError.invalidName("-x")) {
            try catalogue.addUser(name: "-x", role: .target, keys: [])
        }
    }

    @Test func keyRegisteredToAnotherUserIsRefusedAndNothingIsAdded() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        #expect(throws: StoreError.keyExists(fingerprint: "SHA256:fp2", user: "bob")) {
            try catalogue.addUser(name: "dave", role: .target, keys: [sampleKey(8), sampleKey(2)])
        }
        #expect(try catalogue.access()["dave"]?.role == nil)
        #expect(try catalogue.keys(user: nil).count == 4)
    }

    @Test func activeKeysOmitRevokedKeysAndUnknownUsersHaveNone() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        try catalogue.addKey(user: "bob", key: sampleKey(5, comment: "laptop"))
        #expect(try catalogue.access()["bob"]?.keys == [sampleKey(2).base64, sampleKey(5).base64])
        let revoked = try catalogue.revokeKey("SHA256:fp2")
        #expect(revoked.user == "bob")
        #expect(revoked.revokedAt != nil)
        #expect(try catalogue.access()["bob"]?.keys == [sampleKey(5).base64])
        #expect(try catalogue.access()["nobody"] == nil)
        #expect(try catalogue.users().first { $0.name == "bob" }?.keys == 1)
    }

    @Test func keyCanBeRevokedByIdAndOnlyOnce() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let key = try #require(try catalogue.keys(user: "carol").first)
        #expect(key.fingerprint == "SHA256:fp3")
        #expect(key.comment == "")
        try catalogue.revokeKey(String(key.id))
        #expect(throws: StoreError.keyAlreadyRevoked("SHA256:fp3")) {
            try catalogue.revokeKey("SHA256:fp3")
        }
        #expect(throws: StoreError.unknownKey("SHA256:nope")) {
            try catalogue.revokeKey("SHA256:nope")
        }
    }

    @Test func addingSeveralKeysIsAllOrNothing() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        #expect(throws: StoreError.keyExists(fingerprint: "SHA256:fp1", user: "alice")) {
            try catalogue.addKeys(user: "bob", keys: [sampleKey(6), sampleKey(1)])
        }
        #expect(try catalogue.access()["bob"]?.keys == [sampleKey(2).base64])
        try catalogue.addKeys(user: "bob", keys: [sampleKey(6), sampleKey(7)])
        #expect(try catalogue.access()["bob"]?.keys.count == 3)
    }

    @Test func keysOfUnknownUserAreAnError() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try directory.catalogue()
        #expect(throws: StoreError.unknownUser("zed")) { try catalogue.keys(user: "zed") }
        #expect(throws: StoreError.unknownUser("zed")) { try catalogue.addKey(user: "zed", key: sampleKey(1)) }
    }

    @Test func removingUserDropsKeysAndSubscriptions() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        try catalogue.removeUser(name: "bob")
        #expect(try catalogue.access()["bob"]?.role == nil)
        #expect(try catalogue.keys(user: nil).allSatisfy { $0.user != "bob" })
        #expect(try catalogue.topics() == [TopicInfo(name: "ops", subscribers: ["carol"])])
        #expect(throws: StoreError.unknownUser("bob")) { try catalogue.removeUser(name: "bob") }
    }
}
