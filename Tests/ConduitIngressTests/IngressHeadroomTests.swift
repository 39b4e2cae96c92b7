import ConduitCore
import ConduitSMTP
import ConduitStore
import Foundation
import Testing
@testable import ConduitIngress

/// `[storage] reserve_mb` at the SMTP side: new mail gets `452 4.3.1` while
/// the store has less free room than the reserve, and nothing is spooled.
@Suite struct IngressHeadroomTests {
    static let context = SMTPTransactionContext(helo: "client.example", tls: false, authUser: nil)
    static let sender = SMTPMailbox(localPart: "s", domain: "example.org")

    @Test func mailFromIsRefusedWhileTheMapHasLessRoomThanTheReserve() async throws {
        // A 16 MiB map cannot keep 16 MiB free.
        let f = try IngressSessionTests.Fixture(storageReserveBytes: 16 << 20)
        _ = try IngressSessionTests.setUp(f)
        let session = LoopSession(f.backend)
        let reply = await session.mail(from: Self.sender, parameters: .init(), context: Self.context)
        #expect(reply.code == 452)
        #expect(reply.enhanced == "4.3.1")
    }

    @Test func withRoomAboveTheReserveMailIsSpooled() async throws {
        let f = try IngressSessionTests.Fixture(storageReserveBytes: 4 << 20)
        _ = try IngressSessionTests.setUp(f)
        let (codes, reply, id) = await IngressSessionTests.run(f, rcpts: ["plain@pub.example"])
        #expect(codes == [250])
        #expect(reply.code == 250)
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: id) } != nil)
    }

    @Test func theEndOfDataReChecksWhenTheStoreFilledDuringTheTransaction() async throws {
        let f = try IngressSessionTests.Fixture(storageReserveBytes: 4 << 20)
        _ = try IngressSessionTests.setUp(f)
        let session = LoopSession(f.backend)
        let mail = await session.mail(from: Self.sender, parameters: .init(), context: Self.context)
        #expect(mail.code == 250)
        let rcpt = await session.rcpt(to: SMTPMailbox(localPart: "plain", domain: "pub.example"))
        #expect(rcpt.code == 250)
        // Another writer fills the map below the reserve meanwhile.
        let uncached = StorageHeadroom(store: f.store, rule: HeadroomRule(reserveBytes: 4 << 20), refreshInterval: .zero)
        let filler = String(repeating: "z", count: 64 * 1024)
        var n = 0
        while uncached.admitsNewMail() {
            n += 1
            try f.store.write { txn in
                try txn.insert(Domain(id: Identifier.generate().rawValue, accountID: "filler", name: "f\(n).example",
                                      verificationToken: filler, verified: false, isPublic: false, createdAt: Date()))
            }
        }
        try await Task.sleep(for: .milliseconds(1100)) // past the figures' one-second cache
        let message = IngressSessionTests.message([SMTPMailbox(localPart: "plain", domain: "pub.example")])
        let reply = await session.data(message)
        #expect(reply.code == 452)
        #expect(reply.enhanced == "4.3.1")
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: message.id) } == nil)
    }

    /// The size counts: a declared `SIZE=` at MAIL FROM, the real size at the
    /// end of DATA. A message that would leave less than the reserve free is
    /// refused although the room is above the reserve now.
    @Test func aMessageMustLeaveTheReserveFree() async throws {
        let f = try IngressSessionTests.Fixture(storageReserveBytes: 4 << 20)
        _ = try IngressSessionTests.setUp(f)
        let room = try #require(f.store.freeMapBytes())
        let tooBig = room - (4 << 20) + 1
        let session = LoopSession(f.backend)
        let declared = await session.mail(from: Self.sender, parameters: .init(declaredSize: tooBig), context: Self.context)
        #expect(declared.code == 452 && declared.enhanced == "4.3.1")
        let fits = await session.mail(from: Self.sender, parameters: .init(declaredSize: 1 << 20), context: Self.context)
        #expect(fits.code == 250)
        // Undeclared, the end of DATA weighs the message itself.
        let rcpt = await session.rcpt(to: SMTPMailbox(localPart: "plain", domain: "pub.example"))
        #expect(rcpt.code == 250)
        let line = String(repeating: "x", count: 78) + "\r\n"
        let text = IngressSessionTests.plainText + String(repeating: line, count: tooBig / line.utf8.count + 1)
        let message = IngressSessionTests.message([SMTPMailbox(localPart: "plain", domain: "pub.example")], text: text)
        let reply = await session.data(message)
        #expect(reply.code == 452 && reply.enhanced == "4.3.1")
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: message.id) } == nil)
    }

    @Test func aFullStoreAnswersTheSameAsTheReserve() {
        #expect(SMTPReply.insufficientStorage.code == 452)
        #expect(SMTPReply.insufficientStorage.enhanced == "4.3.1")
    }
}
