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

@Suite struct ServiceNotifierTests {
    private func notifier(_ receiver: DatagramReceiver) -> ServiceNotifier {
        ServiceNotifier(socket: NotifySocket(path: receiver.address), logger: Logger(label: "test"))
    }

    @Test func messagesFollowSdNotify() throws {
        let receiver = DatagramReceiver(abstract: true)
        let n = notifier(receiver)
        n.status("Starting")
        #expect(receiver.next() == "STATUS=Starting")
        n.ready(status: "Ready: SMTP on 0.0.0.0:25")
        #expect(receiver.next() == "READY=1\nSTATUS=Ready: SMTP on 0.0.0.0:25")
        n.watchdog()
        #expect(receiver.next() == "WATCHDOG=1")
        n.stopping(status: "Stopping")
        #expect(receiver.next() == "STOPPING=1\nSTATUS=Stopping")
    }

    @Test func reloadingCarriesTheMonotonicClock() throws {
        let receiver = DatagramReceiver(abstract: false)
        let before = ServiceNotifier.monotonicMicroseconds()
        notifier(receiver).reloading(status: "Reloading")
        let lines = try #require(receiver.next()).split(separator: "\n").map(String.init)
        #expect(lines.first == "RELOADING=1")
        #expect(lines.last == "STATUS=Reloading")
        let usec = try #require(lines.first { $0.hasPrefix("MONOTONIC_USEC=") }.flatMap { UInt64($0.dropFirst(15)) })
        #expect(usec >= before)
    }

    @Test func statusTextCannotInjectAssignments() throws {
        let receiver = DatagramReceiver(abstract: true)
        notifier(receiver).status("bad\nREADY=1")
        #expect(receiver.next() == "STATUS=bad READY=1")
    }

    @Test func withoutASocketNothingHappens() {
        // Outside systemd: every call is a no-op, never a crash.
        let n = ServiceNotifier(socket: nil, logger: Logger(label: "test"))
        n.ready(status: "x")
        n.watchdog()
    }
}

@Suite struct WatchdogIntervalTests {
    @Test func pingsAtHalfTheInterval() {
        #expect(WatchdogInterval.from(usec: "30000000", pid: nil, ownPID: 42) == .seconds(15))
        #expect(WatchdogInterval.from(usec: "30000000", pid: "42", ownPID: 42) == .seconds(15))
    }

    @Test func noWatchdogWhenUnsetInvalidOrForAnotherProcess() {
        #expect(WatchdogInterval.from(usec: nil, pid: nil, ownPID: 42) == nil)
        #expect(WatchdogInterval.from(usec: "0", pid: nil, ownPID: 42) == nil)
        #expect(WatchdogInterval.from(usec: "soon", pid: nil, ownPID: 42) == nil)
        #expect(WatchdogInterval.from(usec: "30000000", pid: "7", ownPID: 42) == nil)
    }
}
