import Logging
import Testing
@testable import ConduitApp

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
