import ConduitCore
import ConduitStore
import Foundation
import Testing
@testable import ConduitIngress

/// Reserved addresses on a public domain receive nothing, even when saved
/// before the API refused them (issue 12, item 5): tagged mail reaches the
/// owner of the plain address, unknown addresses stay unknown.
@Suite struct RecipientResolverPublicDomainTests {
    typealias Fixture = RecipientResolverTests.Fixture

    @Test func reservedWebhooksOnAPublicDomainArePassedOver() throws {
        let f = try Fixture()
        try f.domain("public.example", account: nil)
        let alice = try f.webhook("alice@public.example", account: "alice")
        _ = try f.webhook("alice+bank@public.example", account: "mallory")
        _ = try f.webhook("*@public.example", account: "mallory")

        let tagged = try f.resolve("alice+bank", "public.example")
        #expect(RecipientResolverTests.webhookID(tagged) == alice.id)
        #expect(RecipientResolverTests.tag(tagged) == "bank")
        #expect(try f.resolve("bob", "public.example") == .unknown)
        #expect(try f.resolve("bob+x", "public.example") == .unknown)
    }

    @Test func onAnOwnDomainTheyStillWork() throws {
        let f = try Fixture()
        try f.domain("own.example", account: "acct")
        let tagged = try f.webhook("alice+bank@own.example", account: "acct")
        let catchAll = try f.webhook("*@own.example", account: "acct")
        #expect(RecipientResolverTests.webhookID(try f.resolve("alice+bank", "own.example")) == tagged.id)
        #expect(RecipientResolverTests.webhookID(try f.resolve("bob", "own.example")) == catchAll.id)
    }
}
