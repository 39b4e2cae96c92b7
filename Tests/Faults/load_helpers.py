"""What the process-fault campaigns (kill -9, endpoint down, SIGHUP storms)
drive Conduit with: SMTP senders on many connections that remember which
messages got `250` (and only those), a webhook receiver that is slow and
sometimes fails, the delivered-or-not bookkeeping, and a starter for
`conduit serve` on a store that outlives the process. Standard library."""

import http.server
import random
import re
import smtplib
import threading
import time
import uuid
from pathlib import Path

from conftest import RunningConduit, write_config
from identity_helpers import Client
from smtp_helpers import PUBLIC, make_webhook, spool_json, unique_local, wait_for

KiB = 1024
MiB = 1024 * KiB

# Every campaign message's subject is "fault <marker>", and its Message-ID
# <marker@faults.conduit.test>: the receiver finds the marker in the JSON
# payload without parsing megabytes of it.
SUBJECT_MARKER = re.compile(rb'"subject":"fault ([0-9a-f]{32})"')


def server_config(directory: Path, delivery: str, smtp_extra: str = "", log_level: str = "debug") -> Path:
    """A config for a campaign: loopback listeners on port 0, the store in
    `directory/data` (kept across restarts), `[delivery]` lines as given,
    `PUBLIC` as a public domain and messages up to 8 MiB."""
    config = write_config(directory, extra=f"\n[delivery]\nallow_private_targets = true\n{delivery}\n")
    text = config.read_text()
    text = text.replace("max_message_bytes = 1048576", f"max_message_bytes = {8 * MiB}")
    text = text.replace("[smtp]\n", f'[smtp]\npublic_domains = ["{PUBLIC}"]\n{smtp_extra}', 1)
    text = text.replace('level = "debug"', f'level = "{log_level}"')
    config.write_text(text)
    return config


def start(config: Path) -> RunningConduit:
    """`conduit serve` on `config`, its output appended to serve.log beside it."""
    return RunningConduit(config, config.parent / "serve.log")


def new_webhook(server: RunningConduit, target_url: str):
    """A fresh account and a webhook on an address of `PUBLIC`: (client, account, address, webhook)."""
    client = Client(server.api_url)
    account = client.new_account()
    address = f"{unique_local('fault')}@{PUBLIC}"
    webhook = make_webhook(client, account, address, target_url=target_url)
    return client, account, address, webhook


def make_body(size: int) -> bytes:
    """About `size` bytes of 76-character text lines (CRLF)."""
    line = (b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-=" * 2)[:76] + b"\r\n"
    return line * max(1, size // len(line))


def message(marker: str, rcpt: str, body: bytes) -> bytes:
    return (
        f"From: Fault <load@example.org>\r\nTo: <{rcpt}>\r\nSubject: fault {marker}\r\n"
        f"Message-ID: <{marker}@faults.conduit.test>\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    ).encode() + body


def delivery_log_rows(client: Client, token: str, webhook_id: str):
    """Every row of a webhook's delivery log (all pages), oldest first."""
    rows, page = [], 1
    while True:
        status, _, body = client.get(f"/webhooks/{webhook_id}/logs?page={page}&page_size=100", token=token)
        assert status == 200, (status, body)
        rows += body
        if len(body) < 100:
            return list(reversed(rows))
        page += 1


def wait_spool_empty(config: Path, timeout: float):
    """Seconds until `conduit spool list` is empty (delivered mail is not
    kept: keep_delivered_hours = 0); fails after `timeout`."""
    started = time.monotonic()
    left = wait_for(lambda: not spool_json(config), timeout=timeout, interval=1.0)
    if not left:
        pending = spool_json(config)
        raise AssertionError(f"spool not drained after {timeout}s: {len(pending)} messages left, e.g. {pending[:2]}")
    return time.monotonic() - started


class SMTPLoad:
    """`connections` threads, each holding one SMTP connection and sending
    messages on it back to back (sizes drawn from `sizes`, (bytes, weight)
    pairs) to `rcpt` until stopped. `port()` is asked before every connect,
    so the load follows a restarted server. `accepted` holds the markers of
    messages answered 250 after DATA, and only those."""

    def __init__(self, port, rcpt, sizes, connections=20, seed=None, pause=0.0):
        self.port = port
        self.rcpt = rcpt
        self.sizes = [s for s, _ in sizes]
        self.weights = [w for _, w in sizes]
        self.bodies = {size: make_body(size) for size in self.sizes}
        self.connections = connections
        self.pause = pause
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.accepted = {}  # marker -> (size, queue id)
        self.refused = []  # (code, reply) of non-250 answers after DATA
        self.interrupted = 0  # transactions cut off by a dead server
        self.errors = []  # every exception, with the phase it hit (for the SIGHUP storm: none allowed)
        self.connects = 0
        self.threads = []

    def start(self):
        for n in range(self.connections):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def stop(self, timeout=120):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout)
        alive = [t for t in self.threads if t.is_alive()]
        assert not alive, f"{len(alive)} SMTP load threads still running {timeout}s after stop"

    def _pick(self):
        with self.lock:
            return self.random.choices(self.sizes, self.weights)[0]

    def _run(self, n):
        while not self.stopping.is_set():
            try:
                client = smtplib.SMTP("127.0.0.1", self.port(), timeout=60)
            except OSError:
                time.sleep(0.1)  # the server is down (killed) or restarting
                continue
            with self.lock:
                self.connects += 1
            phase = "ehlo"
            try:
                client.ehlo(f"load{n}.example")
                while not self.stopping.is_set():
                    size = self._pick()
                    marker = uuid.uuid4().hex
                    phase = "mail"
                    code, reply = client.mail("load@example.org")
                    if code != 250:
                        raise smtplib.SMTPResponseException(code, reply)
                    phase = "rcpt"
                    code, reply = client.rcpt(self.rcpt)
                    if code != 250:
                        raise smtplib.SMTPResponseException(code, reply)
                    phase = "data"
                    code, reply = client.data(message(marker, self.rcpt, self.bodies[size]))
                    with self.lock:
                        if code == 250:
                            self.accepted[marker] = (size, reply.decode().rsplit(" ", 1)[-1])
                        else:
                            self.refused.append((code, reply))
                    if self.pause:
                        time.sleep(self.pause)
                phase = "quit"
                client.quit()
            except (OSError, smtplib.SMTPException) as error:
                with self.lock:
                    self.interrupted += 1
                    self.errors.append((phase, repr(error)))
                try:
                    client.close()
                except OSError:
                    pass
                time.sleep(0.05)


class QuietHTTPServer(http.server.ThreadingHTTPServer):
    """Connections reset by a killed Conduit are expected here: no traceback."""

    def handle_error(self, request, client_address):
        pass


class FlakyReceiver:
    """A webhook endpoint on loopback that answers after a random 0–300 ms
    (`delay`), fails a share of POSTs with 500 or 503 (`fail_rate`), and
    holds a share past Conduit's delivery timeout (`hang_rate`, `hang`
    seconds, then 503). It keeps no bodies, only each marker's answers:
    `delivered[marker]` is the number of 200s (more than one = a duplicate
    POST; the same webhook-id each time is checked)."""

    def __init__(self, fail_rate=0.2, hang_rate=0.03, hang=2.5, delay=(0.0, 0.3), seed=None):
        self.fail_rate, self.hang_rate, self.hang, self.delay = fail_rate, hang_rate, hang, delay
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.delivered = {}  # marker -> count of 200s
        self.webhook_ids = {}  # marker -> set of webhook-id headers seen
        self.answers = {"200": 0, "500": 0, "503": 0, "hung": 0, "unmarked": 0}
        self.posts = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                found = SUBJECT_MARKER.search(body)
                with receiver.lock:
                    receiver.posts += 1
                    roll = receiver.random.random()
                    wait = receiver.random.uniform(*receiver.delay)
                if roll < receiver.hang_rate:
                    status, wait, kind = 503, receiver.hang, "hung"
                elif roll < receiver.hang_rate + receiver.fail_rate:
                    status = 500 if roll < receiver.hang_rate + receiver.fail_rate / 2 else 503
                    kind = str(status)
                else:
                    status, kind = 200, "200"
                time.sleep(wait)
                with receiver.lock:
                    receiver.answers[kind] += 1
                    if found is None:
                        receiver.answers["unmarked"] += 1
                    elif status == 200:
                        marker = found.group(1).decode()
                        receiver.delivered[marker] = receiver.delivered.get(marker, 0) + 1
                        receiver.webhook_ids.setdefault(marker, set()).add(self.headers.get("webhook-id"))
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # Conduit gave up (timeout) or was killed meanwhile

            def log_message(self, *args):
                pass

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def tally(accepted, receiver: FlakyReceiver):
    """The at-least-once verdict: (missing markers, duplicate POSTs,
    messages delivered more than once, delivered without a 250)."""
    with receiver.lock:
        delivered = dict(receiver.delivered)
    missing = sorted(m for m in accepted if m not in delivered)
    duplicates = sum(n - 1 for n in delivered.values() if n > 1)
    twice = sum(1 for n in delivered.values() if n > 1)
    unacknowledged = sum(1 for m in delivered if m not in accepted)
    return missing, duplicates, twice, unacknowledged
