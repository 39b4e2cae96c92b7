"""Helpers for the SMTP integration tests: a test certificate made with the
openssl CLI at test time, a Conduit with a public domain and STARTTLS, the
spool as `conduit spool` shows it, raw-socket SMTP for what smtplib will
not send (pipelined batches, bare LFs, garbage), and DKIM signing by the
shared oracle (dkimpy, in its own venv). Standard library only."""

import socket
import subprocess
import time
import uuid
from pathlib import Path

from conftest import conduit_binary, run_cli

PUBLIC = "in.conduit.test"
ORACLES = Path(__file__).resolve().parents[3] / "shared" / "oracles"

# dkimpy signs stdin with the key file argv[1], selector argv[2], domain argv[3].
DKIM_SIGN = (
    "import sys, dkim\n"
    "msg = sys.stdin.buffer.read()\n"
    "sig = dkim.sign(msg, sys.argv[2].encode(), sys.argv[3].encode(), open(sys.argv[1], 'rb').read(),"
    " include_headers=[b'from', b'to', b'subject', b'message-id'])\n"
    "sys.stdout.buffer.write(sig + msg)\n"
)


def oracle_python():
    """The shared oracles' venv python (dkimpy), made by setup-venv.sh on first use."""
    out = subprocess.run([str(ORACLES / "setup-venv.sh")], check=True, capture_output=True, text=True).stdout
    return f"{out.split()[-1]}/bin/python"


def dkim_signed(key, data, domain, selector, python=None):
    """`data` with a DKIM-Signature by dkimpy over From, To, Subject and
    Message-ID (`python`: the oracle venv's, looked up when not given)."""
    return subprocess.run([python or oracle_python(), "-c", DKIM_SIGN, str(key), selector, domain],
                          input=data, capture_output=True, check=True).stdout


def make_certificate(directory: Path, name="mx.conduit.test"):
    """A self-signed RSA certificate and key for `name`: (cert, key) paths."""
    cert = directory / f"{name}-{uuid.uuid4().hex[:6]}.crt"
    key = cert.with_suffix(".key")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
            "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True, capture_output=True,
    )
    return cert, key


def unique_local(prefix="rcpt"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_webhook(client, account, address, **fields):
    body = {"address": address, "target_url": "https://receiver.example/hook"}
    body.update(fields)
    status, _, webhook = client.post("/webhooks", body, token=account.access)
    assert status == 201, (status, webhook)
    return webhook


def make_policy(client, account, **fields):
    body = {"name": "policy-" + uuid.uuid4().hex[:8]}
    body.update(fields)
    status, _, policy = client.post("/smtp-policies", body, token=account.access)
    assert status == 201, (status, policy)
    return policy


def spool_list(config: Path) -> str:
    result = run_cli("spool", "list", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return result.stdout


def spool_show(config: Path, message_id: str) -> bytes:
    result = subprocess.run(
        [conduit_binary(), "spool", "show", "--config", str(config), message_id],
        capture_output=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def queued_id(reply_text) -> str:
    """The queue id from `250 2.0.0 OK queued as <id>`."""
    if isinstance(reply_text, bytes):
        reply_text = reply_text.decode()
    assert "queued as " in reply_text, reply_text
    return reply_text.rsplit("queued as ", 1)[1].strip()


class RawSMTP:
    """A plain socket speaking SMTP byte for byte."""

    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def send(self, data: bytes):
        self.sock.sendall(data)

    def reply(self):
        """One whole (possibly multi-line) reply: (code, [lines])."""
        lines = []
        while True:
            while b"\r\n" not in self.buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError(f"closed after {lines!r} / {self.buffer!r}")
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            lines.append(line.decode())
            if len(line) < 4 or line[3:4] == b" ":
                return int(line[:3]), lines

    def replies(self, count):
        return [self.reply() for _ in range(count)]

    def closed(self, timeout=30) -> bool:
        """True when the server has closed the connection (waiting up to
        `timeout` s: the close is expected, and a busy machine is slow)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buffer += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def wait_for(predicate, timeout=60, interval=0.05):
    """Polls `predicate` until it is truthy; returns its last value. The
    timeout only ends a broken run (a passing test returns at once), so it is
    wide: under a loaded CI a second-scale bound turns into a flake."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def spool_json(config: Path):
    """`conduit spool list --json`: one dict per spooled message, oldest first."""
    import json

    result = run_cli("spool", "list", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def spooled(config: Path, message_id: str):
    """The spooled message with this id (with its `deliveries`), or None."""
    for entry in spool_json(config):
        if entry["message"]["id"] == message_id:
            return entry
    return None
