"""systemd integration of `conduit serve`, without systemd: the test binds the
notify socket itself (as systemd would) and reads what the server sends, then
drives reload (SIGHUP) and exit statuses. The system test (Tests/System) does
the same under a real systemd."""

import os
import signal
import socket
import time
import uuid

import pytest

from conftest import RunningConduit, run_cli, write_config


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's."""

    def __init__(self, directory, abstract):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = f"conduit-it-{uuid.uuid4().hex}"
            self.sock.bind("\0" + name)
            self.address = "@" + name
        else:
            self.address = str(directory / "notify.sock")
            self.sock.bind(self.address)
        self.messages = []

    def wait_for(self, predicate, timeout=30):
        """Reads datagrams until one satisfies predicate; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                break
            self.messages.append(data)
            if predicate(data):
                return data
        raise AssertionError(f"no matching sd_notify message; got {self.messages}")

    def close(self):
        self.sock.close()


@pytest.mark.parametrize("abstract", [False, True])
def test_ready_status_and_stopping(workdir, abstract):
    notify = NotifySocket(workdir, abstract)
    server = RunningConduit(write_config(workdir), workdir / "serve.log", env={"NOTIFY_SOCKET": notify.address})
    try:
        ready = notify.wait_for(lambda m: "READY=1" in m)
        assert notify.messages[0].startswith("STATUS=Starting"), notify.messages
        lines = ready.split("\n")
        assert lines[0] == "READY=1"
        assert lines[1].startswith("STATUS=Ready: SMTP on 127.0.0.1:") and ", API on 127.0.0.1:" in lines[1]
        # The listeners are up by the time READY=1 arrives.
        with socket.create_connection(("127.0.0.1", server.smtp_port), timeout=30) as s:
            assert s.recv(512).startswith(b"220 ")
        server.proc.send_signal(signal.SIGTERM)
        stopping = notify.wait_for(lambda m: "STOPPING=1" in m)
        assert stopping.startswith("STOPPING=1\nSTATUS=Stopping")
        assert server.stop() == 0
    finally:
        server.stop()
        notify.close()


def test_watchdog_pings_at_half_the_interval(workdir):
    notify = NotifySocket(workdir, abstract=True)
    env = {"NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "400000", "WATCHDOG_PID": str(os.getpid())}
    # WATCHDOG_PID names this test process, not the server: no pings for it.
    quiet = RunningConduit(write_config(workdir), workdir / "quiet.log", env=env)
    notify.wait_for(lambda m: "READY=1" in m)
    assert quiet.stop() == 0
    notify.wait_for(lambda m: "STOPPING=1" in m)
    assert not any("WATCHDOG=1" in m for m in notify.messages), notify.messages
    del env["WATCHDOG_PID"]
    server = RunningConduit(write_config(workdir), workdir / "serve.log", env=env)
    try:
        notify.wait_for(lambda m: m == "WATCHDOG=1")
        notify.wait_for(lambda m: m == "WATCHDOG=1")
    finally:
        assert server.stop() == 0
        notify.close()


def test_sighup_reloads_live_keys_and_names_the_rest(workdir):
    notify = NotifySocket(workdir, abstract=True)
    config = write_config(workdir)
    server = RunningConduit(config, workdir / "serve.log", env={"NOTIFY_SOCKET": notify.address})
    try:
        notify.wait_for(lambda m: "READY=1" in m)
        text = config.read_text()
        config.write_text(
            text.replace('level = "debug"', 'level = "info"').replace('hostname = "mx.conduit.test"', 'hostname = "mx2.conduit.test"')
            + '\n[delivery]\nlog_retention_days = 7\n'
        )
        server.proc.send_signal(signal.SIGHUP)
        reloading = notify.wait_for(lambda m: "RELOADING=1" in m)
        assert "MONOTONIC_USEC=" in reloading
        notify.wait_for(lambda m: m.startswith("READY=1"))
        line = next(l for l in server.log().splitlines() if "configuration reloaded" in l)
        assert "reloaded=delivery.log_retention_days,log.level" in line, line
        assert "needs_restart=smtp.hostname" in line, line
        # Still the old greeting: the host name needs a restart, and the log says so.
        with socket.create_connection(("127.0.0.1", server.smtp_port), timeout=30) as s:
            assert s.recv(512).startswith(b"220 mx.conduit.test ")

        # A file that no longer validates changes nothing; the server stays up.
        config.write_text(config.read_text() + "\nbogus = 1\n")
        server.proc.send_signal(signal.SIGHUP)
        notify.wait_for(lambda m: "RELOADING=1" in m)
        notify.wait_for(lambda m: m.startswith("READY=1"))
        assert "configuration reload failed" in server.log()
        assert "unknown key delivery.bogus" in server.log()
        assert server.proc.poll() is None
    finally:
        assert server.stop() == 0
        notify.close()


def test_an_unloadable_certificate_is_a_config_error(workdir):
    bad = workdir / "bad.pem"
    bad.write_text("not a certificate\n")
    config = write_config(workdir)
    config.write_text(config.read_text().replace("[log]", f'tls_cert = "{bad}"\ntls_key = "{bad}"\n\n[log]'))
    # check-config only sees a readable file; serve finds it does not load, and
    # still exits 78 so systemd's RestartPreventExitStatus=78 stops a loop.
    assert run_cli("check-config", "--config", str(config)).returncode == 0
    result = run_cli("serve", "--config", str(config))
    assert result.returncode == 78, result.stderr
    assert "smtp.tls_cert" in result.stderr
