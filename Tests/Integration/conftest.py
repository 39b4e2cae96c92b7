"""Fixtures that run the real `conduit` binary on loopback with a temporary
config and data directory, and stop it again."""

import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"(API|SMTP) listening .*address=(\S+)")


def conduit_binary() -> str:
    path = os.environ.get("CONDUIT_BIN") or str(REPO / ".build" / "debug" / "conduit")
    if not os.access(path, os.X_OK):
        pytest.fail(f"conduit binary not found at {path}; run `swift build` or set CONDUIT_BIN")
    return path


def write_config(directory: Path, extra: str = "", storage: Path | None = None, *, map_size_mb: int = 64,
                 max_message_bytes: int = 1048576, storage_extra: str = "", smtp_extra: str = "") -> Path:
    """A config on loopback ports for a test; `extra` is appended (whole
    tables), `storage_extra` and `smtp_extra` are lines added to those tables."""
    config = directory / "conduit.toml"
    config.write_text(
        f"""
[storage]
path = "{storage or directory / 'data'}"
map_size_mb = {map_size_mb}
{storage_extra}
[api]
listen = "127.0.0.1:0"

[smtp]
listen = "127.0.0.1:0"
hostname = "mx.conduit.test"
max_message_bytes = {max_message_bytes}
{smtp_extra}
[log]
level = "debug"
{extra}
"""
    )
    return config


class RunningConduit:
    """A `conduit serve` process and the ports it reported."""

    def __init__(self, config: Path, log: Path, env: dict | None = None):
        self.config = config
        self.log_path = log
        self.log_file = open(log, "a")
        self.log_offset = self.log_file.tell()
        self.proc = subprocess.Popen(
            [conduit_binary(), "serve", "--config", str(config)],
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
        self.api_url = None
        self.smtp_port = None
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_path.read_bytes()[self.log_offset:].decode(errors="replace")
            for kind, address in LISTENING.findall(text):
                host, port = address.rsplit(":", 1)
                if kind == "API":
                    self.api_url = f"http://{host}:{port}"
                else:
                    self.smtp_port = int(port)
            if "Conduit ready" in text and self.api_url and self.smtp_port:
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"conduit exited with {self.proc.returncode}:\n{text}")
            time.sleep(0.05)
        raise AssertionError(f"conduit not ready after {timeout}s:\n{self.log_path.read_text()}")

    def log(self) -> str:
        return self.log_path.read_text()

    # Generous: a stop waits for an attempt that is building its payload (not
    # cancellable; a 20 MiB message takes seconds in a debug build on a busy
    # 2-core machine). A test that means to bound shutdown passes its own.
    def stop(self, sig=signal.SIGTERM, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"conduit did not stop within {timeout}s after {sig!r}")
        self.log_file.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def receiver():
    """A webhook receiver per test module (webhook_receiver.Receiver): it
    records every POST and validates every default-payload body."""
    from webhook_receiver import Receiver

    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="conduit-it-") as d:
        yield Path(d)


@pytest.fixture
def conduit(workdir):
    server = RunningConduit(write_config(workdir), workdir / "serve.log")
    yield server
    server.stop()


def run_cli(*args, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([conduit_binary(), *args], capture_output=True, text=True, timeout=timeout)
