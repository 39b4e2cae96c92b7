"""Helpers for tests that need DNS answers under their control: a wrapper
around the `dns-serve.py` oracle (a real UDP+TCP DNS server on loopback,
restarted on one fixed port whenever a test needs a new zone), a starter for
`conduit serve` that can put settings into the [smtp] table, and small
domain-name helpers. Standard library only."""

import json
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import RunningConduit, write_config
from identity_helpers import ServerHandle

# The shared oracles live beside the repository (CI copies them there too).
DNS_SERVE = os.environ.get(
    "CONDUIT_DNS_SERVE",
    str(Path(__file__).resolve().parents[3] / "shared" / "oracles" / "dns-serve.py"),
)

# The first start may build the oracle virtualenv (PyPI dnslib + PyYAML).
FIRST_START_TIMEOUT = 180
RESTART_TIMEOUT = 60

VERIFICATION_PREFIX = "conduit-verification="


# ---------------------------------------------------------------------------
# Names


def unique_label(prefix="dom"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def unique_domain(prefix="dom", suffix="example"):
    """A fresh name for every test, so Conduit's DNS cache never answers
    from an earlier test."""
    return f"{unique_label(prefix)}.{suffix}"


def txt_name(name):
    """Where Conduit looks for the verification record of `name`."""
    return f"_conduit.{name}"


def verification_value(token):
    return VERIFICATION_PREFIX + token


# ---------------------------------------------------------------------------
# Ports


def _port_is_free(port):
    """True when both UDP and TCP port `port` on 127.0.0.1 can be bound."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        udp.bind(("127.0.0.1", port))
        tcp.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        udp.close()
        tcp.close()


def _ephemeral_range():
    try:
        low, high = (int(v) for v in open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A port that is free for both UDP and TCP on 127.0.0.1, below the
    kernel's ephemeral range: the DNS server is restarted on the same port
    between zones, and a port from the ephemeral range can meanwhile become
    the source port of some client's long-lived connection, keeping it busy."""
    low, _ = _ephemeral_range()
    floor = 10000 if low > 12000 else 1024
    for _ in range(200):
        port = random.randrange(floor, low)
        if _port_is_free(port):
            return port
    raise AssertionError("no free UDP+TCP port found on 127.0.0.1")


def dns_config(port, timeout_ms=3000):
    """A [dns] table (for `extra`) that sends every query to 127.0.0.1:`port`.

    3 s per query: dns-serve.py is a Python process on a machine that may be
    busy with other jobs, and an answer it gives late must not turn into a
    temporary failure (500 ms did, under load). Tests of timeouts serve
    TIMEOUT records, which are never answered, so they race nothing; they
    only take the timeout's length (two attempts)."""
    return f'\n[dns]\nnameservers = ["127.0.0.1:{port}"]\ntimeout_ms = {timeout_ms}\n'


# ---------------------------------------------------------------------------
# The DNS server


class DNSServer:
    """`dns-serve.py` on a fixed 127.0.0.1 port. `serve(zone)` (re)starts it
    with a new zone; the old process is ended and the port free first.

    A zone is {name: [records]}, records as dns-serve.py takes them, e.g.
    {"_conduit.x.example": [{"TXT": "conduit-verification=..."}]},
    [{"TXT": ["two", "strings"]}], [{"TXT": "TIMEOUT"}] or ["TIMEOUT"]."""

    def __init__(self, port, directory):
        self.port = port
        self.directory = Path(directory)
        self.proc = None
        self.generation = 0
        self.log_path = self.directory / "dns-serve.log"
        self._log_file = None
        self._started_once = False

    @staticmethod
    def available():
        return os.path.isfile(DNS_SERVE)

    def serve(self, zone, timeout_mode="drop"):
        """Serve exactly `zone` from now on (`timeout_mode`: "drop" lets
        TIMEOUT entries go unanswered, "servfail" answers SERVFAIL)."""
        self.stop()
        self._wait_port_free()
        self.generation += 1
        zone_path = self.directory / f"zone-{self.generation}.json"
        zone_path.write_text(json.dumps(zone or {}, ensure_ascii=False, indent=1))
        if self._log_file is None:
            self._log_file = open(self.log_path, "a")
        self._log_file.write(f"--- zone {self.generation} ({timeout_mode}): {json.dumps(zone)}\n")
        self._log_file.flush()
        self.proc = subprocess.Popen(
            [sys.executable, DNS_SERVE, str(zone_path), "-p", str(self.port),
             "--timeout-mode", timeout_mode, "-v"],
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        timeout = RESTART_TIMEOUT if self._started_once else FIRST_START_TIMEOUT
        self._wait_ready(timeout)
        self._started_once = True

    def _wait_ready(self, timeout):
        lines = queue.Queue()
        proc = self.proc

        def pump():
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise AssertionError(f"dns-serve.py not ready after {timeout}s: {seen!r}\n{self.log()}")
            try:
                line = lines.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if line is None:
                code = proc.wait()
                raise AssertionError(f"dns-serve.py exited with {code}: {seen!r}\n{self.log()}")
            seen.append(line)
            if line.startswith("READY") and f":{self.port}" in line:
                return

    def _wait_port_free(self, timeout=30):
        deadline = time.monotonic() + timeout
        while not _port_is_free(self.port):
            if time.monotonic() > deadline:
                raise AssertionError(f"DNS port {self.port} still busy after {timeout}s")
            time.sleep(0.1)

    def stop(self):
        """End the server (if running); afterwards nothing answers on the port."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout:
            proc.stdout.close()

    def close(self):
        self.stop()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log(self):
        try:
            return self.log_path.read_text()
        except OSError:
            return ""


# ---------------------------------------------------------------------------
# Conduit


def start_conduit(prefix, extra="", api_settings="", smtp_settings="", storage_settings=""):
    """Like `identity_helpers.start_server`, and `smtp_settings` and
    `storage_settings` are lines added to the existing [smtp] and [storage]
    tables (e.g. `public_domains = [...]`). Returns (handle, cleanup)."""
    tmp = tempfile.TemporaryDirectory(prefix=f"conduit-{prefix}-")
    directory = Path(tmp.name)
    config = write_config(directory, extra=extra)
    text = config.read_text()
    for table, settings in (("[api]\n", api_settings), ("[smtp]\n", smtp_settings), ("[storage]\n", storage_settings)):
        if settings:
            assert text.count(table) == 1, text
            text = text.replace(table, table + settings.rstrip("\n") + "\n", 1)
    config.write_text(text)
    try:
        server = RunningConduit(config, directory / "serve.log")
    except BaseException:
        tmp.cleanup()
        raise
    handle = ServerHandle(server, directory)

    def cleanup():
        try:
            handle.server.stop()
        finally:
            tmp.cleanup()

    return handle, cleanup


def toml_string_array(values):
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def require_dns_serve():
    # A missing oracle is a broken checkout, not a reason to skip: fail loudly.
    if not DNSServer.available():
        pytest.fail(f"dns-serve.py not found at {DNS_SERVE} (set CONDUIT_DNS_SERVE)")
