import Testing
@testable import ConduitApp

/// The reload's child-process parse tells a crash from an exit, with real
/// child processes (`/bin/sh` standing in for a `check-config` that aborts).
@Suite struct ConfigPreflightTests {
    // SIGKILL: a test runner may ignore SIGABRT, and an ignored signal
    // stays ignored across exec (abort() itself does not care).
    @Test func aChildKilledByASignalIsACrash() async {
        let verdict = await ConfigPreflight.run(executable: "/bin/sh", arguments: ["-c", "kill -KILL $$"])
        #expect(verdict == .crashed(signal: 9))
    }

    @Test func anInvalidConfigExitIsNotACrash() async {
        let verdict = await ConfigPreflight.run(executable: "/bin/sh", arguments: ["-c", "exit 78"])
        #expect(verdict == .exited(78))
    }

    @Test func aMissingExecutableIsReportedAndLeavesTheReloadToGoOn() async {
        let verdict = await ConfigPreflight.run(executable: "/nonexistent/conduit", arguments: [])
        guard case .unavailable = verdict else {
            Issue.record("expected unavailable, got \(verdict)")
            return
        }
    }
}
