import Logging
import Testing
@testable import ConduitApp

@Suite struct NotifySocketTests {
    @Test func sendsOneDatagramToASocketFile() throws {
        let receiver = DatagramReceiver(abstract: false)
        let socket = try #require(NotifySocket(path: receiver.address))
        #expect(socket.send("READY=1\nSTATUS=up"))
        #expect(receiver.next() == "READY=1\nSTATUS=up")
        #expect(receiver.next() == nil)
    }

    @Test func sendsToAnAbstractSocket() throws {
        let receiver = DatagramReceiver(abstract: true)
        #expect(receiver.address.hasPrefix("@"))
        let socket = try #require(NotifySocket(path: receiver.address))
        #expect(socket.send("WATCHDOG=1"))
        #expect(receiver.next() == "WATCHDOG=1")
    }

    @Test func aVanishedSocketIsNotAnError() throws {
        let receiver = DatagramReceiver(abstract: false)
        let socket = try #require(NotifySocket(path: receiver.address))
        receiver.close()
        #expect(socket.send("READY=1") == false)
        let abstract = DatagramReceiver(abstract: true)
        let gone = try #require(NotifySocket(path: abstract.address))
        abstract.close()
        #expect(gone.send("READY=1") == false)
    }

    @Test func refusesAddressesThatAreNotUnixSockets() {
        #expect(NotifySocket(path: "") == nil)
        #expect(NotifySocket(path: "@") == nil)
        #expect(NotifySocket(path: "relative/path") == nil)
        #expect(NotifySocket(path: "vsock:2:1234") == nil)
        #expect(NotifySocket(path: "/" + String(repeating: "x", count: 200)) == nil)
        #expect(NotifySocket(path: "/run/systemd/notify")?.path == "/run/systemd/notify")
    }
}
