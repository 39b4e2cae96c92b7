"""Fault campaign: idle SMTP connections by the hundred (the long form: the
full 1,000) and slowloris senders on SMTP and on the API (docs/RELIABILITY.md,
"Idle connections and slowloris").

While the idle crowd and the tricklers hold their sockets, a normal sender
keeps getting 250 (each within the smtplib timeout, 30 s) and the API keeps
answering; a connection over `smtp.max_connections` gets `421 4.3.2`, one
over `smtp.max_connections_per_ip` `421 4.7.0`, an API connection over
`api.max_connections` is closed; idle SMTP connections get `421 4.4.2` at
`smtp.command_timeout_seconds`, incomplete API requests are closed at
`api.idle_timeout_seconds` however slowly they keep trickling.

The clients come from many loopback addresses (127.0.1.x: all of 127/8 is
loopback on Linux), so the per-IP cap (50) does not stop the crowd first."""

import select
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from env_faults import Conduit, message_bytes, pick, raise_open_file_limit, send, server_fds, server_rss_kb, temporary_directory
from identity_helpers import http
from smtp_helpers import PUBLIC, make_webhook, unique_local
from webhook_receiver import Receiver

IDLE = pick(200, 1000)
PER_SOURCE = 40  # under the per-IP cap of 50
SMTP_TIMEOUT = pick(8, 60)  # smtp.command_timeout_seconds
API_TIMEOUT = pick(4, 20)  # api.idle_timeout_seconds
API_CAP = pick(60, 300)  # api.max_connections
SMTP_CAP = IDLE + 20  # room for the normal sender and the tricklers
TRICKLERS = pick(10, 30)  # slowloris SMTP connections (half in commands, half in DATA)
API_TRICKLERS = pick(20, 100)  # slowloris API connections (half heads, half bodies)
HOLD = pick(8, 90)  # seconds the normal sender works while everything is held (long form: the timeouts are longer too)


def source(index):
    """The loopback address the `index`th client connects from."""
    block = index // PER_SOURCE
    return f"127.0.1.{10 + block}"


def connect(port, index, timeout=10):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.bind((source(index), 0))
    sock.connect(("127.0.0.1", port))
    return sock


def read_line(sock, timeout=10):
    """The first CRLF-terminated line the server sends (b"" when it closes)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    return data.split(b"\r\n", 1)[0]


def closed_within(sock, timeout):
    """(seconds until the server closed `sock` or None, the bytes it sent)."""
    start = time.monotonic()
    data = b""
    while True:
        left = start + timeout - time.monotonic()
        if left <= 0:
            return None, data
        # poll, not select: with a thousand sockets open, descriptors pass 1024.
        poller = select.poll()
        poller.register(sock, select.POLLIN | select.POLLHUP | select.POLLERR)
        if not poller.poll(left * 1000):
            continue
        try:
            chunk = sock.recv(4096)
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start, data
        if not chunk:
            return time.monotonic() - start, data
        data += chunk


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def server(receiver):
    raise_open_file_limit(4 * IDLE + 1024)
    tmp = temporary_directory("idle")
    conduit = Conduit(
        Path(tmp.name),
        extra="\n[delivery]\nallow_private_targets = true\n",
        smtp_settings=(f'public_domains = ["{PUBLIC}"]\nmax_connections = {SMTP_CAP}\n'
                       f"command_timeout_seconds = {SMTP_TIMEOUT}\n"),
        api_settings=f"max_connections = {API_CAP}\nidle_timeout_seconds = {API_TIMEOUT}\n",
        replace=[('[log]\nlevel = "debug"', '[log]\nlevel = "info"')],
    )
    try:
        account = conduit.api.new_account()
        path = "/" + uuid.uuid4().hex[:12]
        conduit.address = f"{unique_local()}@{PUBLIC}"
        make_webhook(conduit.api, account, conduit.address, target_url=receiver.url(path))
        conduit.hook_path = path
        yield conduit
    finally:
        conduit.stop()
        tmp.cleanup()


class Trickler(threading.Thread):
    """Sends each socket's script one byte per `interval` seconds, round
    robin, until stopped; records when each socket was closed by the server."""

    def __init__(self, sockets_and_scripts, interval):
        super().__init__(daemon=True)
        self.entries = [[sock, script, 0, None] for sock, script in sockets_and_scripts]
        self.interval = interval
        self.started_at = time.monotonic()
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            for entry in self.entries:
                sock, script, position, closed = entry
                if closed is not None:
                    continue
                try:
                    sock.send(script[position % len(script):position % len(script) + 1])
                    entry[2] = position + 1
                except OSError:
                    entry[3] = time.monotonic() - self.started_at
            self.stop_event.wait(self.interval)

    def stop(self):
        self.stop_event.set()
        self.join()


def normal_mail(server, receiver, seconds):
    """Sends one small message after another for `seconds`: the latencies.
    Every one must be 250."""
    latencies = []
    deadline = time.monotonic() + seconds
    while True:
        mid, body = message_bytes(2000)
        start = time.monotonic()
        stage, code, text = send(server.smtp_port, server.address, body, timeout=30)
        latencies.append(time.monotonic() - start)
        assert (stage, code) == ("data", 250), (stage, code, text)
        status, _, health = http(server.server.api_url, "GET", "/healthz", timeout=30)
        assert status == 200, health
        if time.monotonic() > deadline:
            return latencies


def test_idle_crowd_and_over_cap_connections(server, receiver):
    """IDLE idle connections: the server holds them, mail and the API go on,
    the cap answers 421 4.3.2, the per-IP cap 421 4.7.0, and every idle one
    gets 421 4.4.2 once the command timeout has passed."""
    port = server.smtp_port
    fds_before = server_fds(server.server.proc.pid)
    crowd = []
    opened = time.monotonic()
    try:
        for index in range(IDLE):
            sock = connect(port, index)
            crowd.append(sock)
        for sock in crowd:
            banner = read_line(sock)
            assert banner.startswith(b"220 "), banner
        crowd_ready = time.monotonic() - opened
        fds_held = server_fds(server.server.proc.pid)
        # (a few descriptors of the server's own may come and go meanwhile)
        assert fds_held >= fds_before + IDLE - 5, (fds_before, fds_held)

        # A normal sender is served while the crowd sits there.
        # Half the command timeout: the crowd must still be there when the cap is filled below.
        latencies = normal_mail(server, receiver, seconds=min(HOLD, SMTP_TIMEOUT / 2 - crowd_ready))
        delivered_to = len(latencies)

        # Fill the cap with connections from fresh sources, then one more: 421 4.3.2.
        fillers = []
        while True:
            sock = connect(port, IDLE + len(fillers))
            line = read_line(sock)
            if line.startswith(b"421 "):
                assert line.startswith(b"421 4.3.2"), line
                closed, _ = closed_within(sock, 5)
                assert closed is not None, "the over-cap connection was left open"
                sock.close()
                break
            assert line.startswith(b"220 "), line
            fillers.append(sock)
            assert len(fillers) <= SMTP_CAP, "smtp.max_connections never answered 421"
        # The normal sender's last connection may not be counted out yet.
        assert SMTP_CAP - 1 <= IDLE + len(fillers) <= SMTP_CAP, (IDLE, len(fillers), SMTP_CAP)
        for sock in fillers:
            sock.close()
        crowd_count = len(crowd)

        # The command timeout ends every idle connection with 421 4.4.2.
        closes = []
        for sock in crowd:
            after, data = closed_within(sock, SMTP_TIMEOUT + 30 - (time.monotonic() - opened))
            assert after is not None, "an idle connection outlived the command timeout by 30 s"
            assert b"421 4.4.2" in data, data
            closes.append(time.monotonic() - opened)
        # None before the timeout: the first was opened at `opened`, the last
        # `crowd_ready` later, so each lived at least SMTP_TIMEOUT - crowd_ready.
        assert min(closes) >= SMTP_TIMEOUT - 0.5 - crowd_ready, (min(closes), crowd_ready)
        print(f"\n{crowd_count} idle SMTP connections open and greeted in {crowd_ready:.1f} s "
              f"(server fds {fds_before} -> {fds_held}, RSS {server_rss_kb(server.server.proc.pid)} KiB); "
              f"{delivered_to} messages meanwhile, slowest {max(latencies):.2f} s; cap {SMTP_CAP} answered 421 4.3.2; "
              f"idle ones closed {min(closes):.1f}-{max(closes):.1f} s after opening (timeout {SMTP_TIMEOUT} s)")
    finally:
        for sock in crowd:
            sock.close()

    # Per IP: 50 from one address, the 51st gets 421 4.7.0.
    same = [connect(port, 0) for _ in range(50)]
    try:
        for sock in same:
            assert read_line(sock).startswith(b"220 ")
        extra = connect(port, 0)
        assert read_line(extra).startswith(b"421 4.7.0")
        extra.close()
    finally:
        for sock in same:
            sock.close()
    # And the server is back to its resting file count.
    assert wait_closed_fds(server, fds_before + 10)
    assert normal_mail(server, receiver, seconds=0)


def wait_closed_fds(server, at_most, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server_fds(server.server.proc.pid) <= at_most:
            return True
        time.sleep(0.2)
    return server_fds(server.server.proc.pid) <= at_most


def test_slowloris_on_smtp_and_the_api(server, receiver):
    """Tricklers in SMTP commands and in DATA, and in API heads and bodies:
    mail and the API are served meanwhile; the API tricklers are closed at
    the idle timeout however they trickle; SMTP tricklers are bounded by the
    command timeout between bytes, the line length and the error limit."""
    port = server.smtp_port
    host, api_port = server.server.api_url.removeprefix("http://").rsplit(":", 1)
    smtp_socks = []
    for index in range(TRICKLERS):
        sock = connect(port, index)
        assert read_line(sock).startswith(b"220 ")
        if index % 2 == 0:
            script = b"EHLO slow.example\r\nNOOP\r\n"  # a command a byte at a time, forever
        else:
            # Into DATA at full speed, then the body a byte at a time.
            sock.sendall(f"EHLO slow.example\r\nMAIL FROM:<slow@example.org>\r\nRCPT TO:<{server.address}>\r\nDATA\r\n".encode())
            replies = b""
            while b"354 " not in replies:
                chunk = sock.recv(4096)
                assert chunk, replies
                replies += chunk
            script = b"x" * 70 + b"\r\n"
        smtp_socks.append((sock, script))
    api_socks = []
    for index in range(API_TRICKLERS):
        sock = socket.create_connection((host, int(api_port)), timeout=10)
        if index % 2 == 0:
            script = b"X-Slow: a\r\n"  # a head that never ends
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: conduit\r\n")
        else:
            script = b" "
            sock.sendall(b"POST /api/v1/sessions HTTP/1.1\r\nHost: conduit\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000\r\n\r\n{")
        api_socks.append((sock, script))
    # One byte per second per socket: well inside both timeouts between bytes.
    smtp_trickler = Trickler(smtp_socks, interval=1.0)
    api_trickler = Trickler(api_socks, interval=1.0)
    smtp_trickler.start()
    api_trickler.start()
    try:
        latencies = normal_mail(server, receiver, seconds=HOLD)

        # The API tricklers are cut at api.idle_timeout_seconds.
        deadline = api_trickler.started_at + API_TIMEOUT + 15
        while time.monotonic() < deadline and any(e[3] is None for e in api_trickler.entries):
            time.sleep(0.5)
        api_closed = [e[3] for e in api_trickler.entries]
        assert all(c is not None for c in api_closed), "an API slowloris outlived the idle timeout by 15 s"
        assert min(api_closed) >= API_TIMEOUT - 1, api_closed

        # SMTP tricklers keep their connections while each byte comes within
        # the command timeout (RFC 5321 timeouts are per read) ...
        alive_smtp = sum(1 for e in smtp_trickler.entries if e[3] is None)
        # ... and they hold no more than their own slots: the normal sender
        # never waited on them (checked by normal_mail above).
        print(f"\n{TRICKLERS} SMTP and {API_TRICKLERS} API slowloris connections, 1 byte/s each: "
              f"{len(latencies)} messages meanwhile, slowest {max(latencies):.2f} s; API tricklers closed "
              f"{min(api_closed):.1f}-{max(api_closed):.1f} s (idle timeout {API_TIMEOUT} s); "
              f"SMTP tricklers still open after {time.monotonic() - smtp_trickler.started_at:.0f} s: {alive_smtp}")
    finally:
        smtp_trickler.stop()
        api_trickler.stop()
        for sock, _ in smtp_socks + api_socks:
            sock.close()
