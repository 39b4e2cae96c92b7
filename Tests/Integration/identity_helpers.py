"""Shared helpers for the identity API integration tests: a tiny JSON HTTP
client, account/session shortcuts, RFC 6238 TOTP, QR decoding and a
capturing SMTP smarthost. Standard library only."""

import base64
import contextlib
import email
import email.policy
import hashlib
import hmac
import json
import re
import socketserver
import struct
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

from conftest import RunningConduit, write_config

API = "/api/v1"

ID_RE = re.compile(r"^[0-7][0-9a-hjkmnp-tv-z]{25}$")
ACCESS_RE = re.compile(r"^cda_[A-Za-z0-9_-]{43}$")
REFRESH_RE = re.compile(r"^cdr_[0-7][0-9a-hjkmnp-tv-z]{25}[A-Za-z0-9_-]{43}$")
API_TOKEN_RE = re.compile(r"^cdt_[A-Za-z0-9_-]{43}$")
CHALLENGE_RE = re.compile(r"^cdc_[A-Za-z0-9_-]{43}$")
RESET_RE = re.compile(r"^cdp_[A-Za-z0-9_-]{43}$")
BACKUP_CODE_RE = re.compile(r"^[a-z2-7]{4}(-[a-z2-7]{4}){3}$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

ACCOUNT_FIELDS = {"id", "email", "timezone", "created_at", "updated_at"}
SESSION_FIELDS = {"access_token", "refresh_token", "expires_in"}
API_TOKEN_FIELDS = {"id", "name", "token", "allowed_ips", "created_at", "expires_at", "last_used_at"}


# ---------------------------------------------------------------------------
# HTTP

# Never go through a proxy from the environment: the server is on loopback.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

_NO_BODY = object()


# 120 s to read an answer: a request that hashes passwords (sign-up, SMTP
# credentials: one scrypt run each, two at a time) took over 30 s on a CI
# machine busy with other jobs. A passing test never waits for it.
def http(base_url, method, path, body=_NO_BODY, raw=None, token=None, headers=None, timeout=120):
    """One request. Returns (status, headers, parsed JSON or None); never
    raises on an HTTP error status. `body` is sent as JSON (pass None to send
    `null`), `raw` as bytes verbatim; `token` becomes a bearer header."""
    url = base_url + path
    data = None
    all_headers = {"Accept": "application/json"}
    if raw is not None:
        data = raw
        all_headers["Content-Type"] = "application/json"
    elif body is not _NO_BODY:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    all_headers.update(headers or {})
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, response_headers, payload = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, response_headers, payload = error.code, error.headers, error.read()
    parsed = None
    if payload:
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = None
    return status, response_headers, parsed


class Client:
    """`http` bound to one server's API base URL (paths are relative to /api/v1)."""

    def __init__(self, api_url):
        self.api_url = api_url

    def call(self, method, path, body=_NO_BODY, **kwargs):
        return http(self.api_url, method, API + path, body, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, body=_NO_BODY, **kwargs):
        return self.call("POST", path, body, **kwargs)

    def put(self, path, body=_NO_BODY, **kwargs):
        return self.call("PUT", path, body, **kwargs)

    def delete(self, path, body=_NO_BODY, **kwargs):
        return self.call("DELETE", path, body, **kwargs)

    # Shortcuts -------------------------------------------------------------

    def sign_up(self, email_address, password):
        return self.post("/accounts", {"email": email_address, "password": password})

    def sign_in(self, email_address, password):
        return self.post("/sessions", {"email": email_address, "password": password})

    def me(self, token):
        return self.get("/accounts/me", token=token)

    def refresh(self, refresh_token):
        return self.post("/sessions/refresh", {"refresh_token": refresh_token})

    def new_account(self, password=None):
        """Sign up a fresh account and sign it in: an `Account`."""
        address = unique_email()
        password = password or random_password()
        status, _, account = self.sign_up(address, password)
        assert status == 201, (status, account)
        status, _, session = self.sign_in(address, password)
        assert status == 200, (status, session)
        return Account(address, password, account, session)

    def session(self, account):
        """A further session of `account` (another sign-in)."""
        status, _, session = self.sign_in(account.email, account.password)
        assert status == 200, (status, session)
        return session


class Account:
    def __init__(self, address, password, record, session):
        self.email = address
        self.password = password
        self.record = record
        self.id = record["id"]
        self.session = session
        self.totp = None

    @property
    def access(self):
        return self.session["access_token"]

    @property
    def refresh(self):
        return self.session["refresh_token"]


def unique_email(prefix="user"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def random_password():
    return "pw-" + uuid.uuid4().hex[:16]


def assert_error(response, status, code):
    """`response` is an `http` result: the status and the error body's shape and code."""
    got_status, headers, body = response
    assert got_status == status, (got_status, body)
    assert (headers.get("Content-Type") or "").startswith("application/json"), headers.get("Content-Type")
    assert isinstance(body, dict), body
    assert body.get("code") == code, body
    assert isinstance(body.get("error"), str) and body["error"], body


def assert_timestamp(value):
    assert isinstance(value, str) and TIMESTAMP_RE.match(value), value
    return parse_timestamp(value)


def parse_timestamp(value):
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def assert_session(session):
    assert isinstance(session, dict), session
    assert SESSION_FIELDS <= set(session), session
    assert session["expires_in"] == 900
    assert ACCESS_RE.match(session["access_token"]), session["access_token"]
    assert REFRESH_RE.match(session["refresh_token"]), session["refresh_token"]
    assert "totp_required" not in session or session["totp_required"] is False


# ---------------------------------------------------------------------------
# Servers


class ServerHandle:
    """A module's running server plus a client for it."""

    def __init__(self, server, directory):
        self.server = server
        self.directory = directory
        self.client = Client(server.api_url)


@contextlib.contextmanager
def account_server(prefix, **config):
    """`conduit serve` in a fresh temporary directory, configured by
    write_config's keyword arguments, with `.api` (a Client) and `.account`
    (a new account); stopped when the `with` ends."""
    with tempfile.TemporaryDirectory(prefix=f"conduit-{prefix}-") as name:
        directory = Path(name)
        running = RunningConduit(write_config(directory, **config), directory / "serve.log")
        try:
            running.api = Client(running.api_url)
            running.account = running.api.new_account()
            yield running
        finally:
            running.stop()


def start_server(prefix, extra="", api_settings=""):
    """Start `conduit serve` in a fresh temporary directory. `api_settings`
    are lines added to the existing [api] table. Returns (handle, cleanup)."""
    tmp = tempfile.TemporaryDirectory(prefix=f"conduit-{prefix}-")
    directory = Path(tmp.name)
    config = write_config(directory, extra=extra)
    if api_settings:
        text = config.read_text()
        assert text.count("[api]\n") == 1
        config.write_text(text.replace("[api]\n", "[api]\n" + api_settings.rstrip("\n") + "\n", 1))
    try:
        server = RunningConduit(config, directory / "serve.log")
    except BaseException:
        tmp.cleanup()
        raise
    handle = ServerHandle(server, directory)

    def cleanup():
        try:
            server.stop()
        finally:
            tmp.cleanup()

    return handle, cleanup


# ---------------------------------------------------------------------------
# TOTP (RFC 6238: SHA-1, 6 digits, 30 s steps)

STEP = 30


def b32decode_nopad(secret):
    secret = secret.strip().replace(" ", "").upper()
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def hotp(key, counter, digits=6):
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


def totp_at(secret, step):
    return hotp(b32decode_nopad(secret), step)


def current_step():
    return int(time.time()) // STEP


def wrong_code(secret):
    """Six digits that are not the code of any step near now."""
    now = current_step()
    near = {totp_at(secret, step) for step in range(now - 3, now + 4)}
    candidate = 0
    while f"{candidate:06d}" in near:
        candidate += 1
    return f"{candidate:06d}"


class TOTP:
    """Hands out codes for steps never used before on this account. The
    server accepts ±1 step and each step only once, so a second code comes
    from the next step; beyond that we wait for the clock."""

    def __init__(self, secret):
        self.secret = secret
        self.last_step = None

    def fresh(self):
        while True:
            now = current_step()
            candidate = now if self.last_step is None else max(now, self.last_step + 1)
            if candidate <= now + 1:
                self.last_step = candidate
                return totp_at(self.secret, candidate)
            # Wait until `candidate - 1` is the current step.
            time.sleep(max(0.05, (candidate - 1) * STEP - time.time() + 0.2))

    def wrong(self):
        return wrong_code(self.secret)


def decode_qr_png(png_bytes):
    with tempfile.NamedTemporaryFile(suffix=".png") as f:
        f.write(png_bytes)
        f.flush()
        result = subprocess.run(
            ["zbarimg", "--quiet", "--raw", f.name],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30,
        )
    assert result.returncode == 0, f"zbarimg exited {result.returncode}"
    return result.stdout.decode().rstrip("\n")


def enable_2fa(client, account):
    """Set up and enable TOTP for `account`; stores a `TOTP` on it and
    returns the backup codes."""
    status, _, setup = client.post("/accounts/me/2fa/setup", token=account.access)
    assert status == 200, (status, setup)
    account.totp = TOTP(setup["secret"])
    status, _, enabled = client.post("/accounts/me/2fa/enable", {"code": account.totp.fresh()}, token=account.access)
    assert status == 200, (status, enabled)
    return enabled["backup_codes"]


def totp_challenge(client, account):
    """Sign in an account with 2FA: the challenge token."""
    status, _, body = client.sign_in(account.email, account.password)
    assert status == 200, (status, body)
    assert body.get("totp_required") is True, body
    return body["totp_token"]


# ---------------------------------------------------------------------------
# SMTP smarthost that keeps what it receives


class CapturedMail:
    def __init__(self, mail_from, recipients, data):
        self.mail_from = mail_from
        self.recipients = recipients
        self.data = data
        self.message = email.message_from_bytes(data, policy=email.policy.default)

    def text(self):
        part = self.message.get_body(preferencelist=("plain",))
        return (part or self.message).get_content()


class _SMTPHandler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        capture = self.server.capture
        self.reply("220 capture.test ESMTP ready")
        mail_from, recipients = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = command.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-capture.test greets you")
                self.reply("250-8BITMIME")
                self.reply("250 SIZE 10485760")
            elif verb == "HELO":
                self.reply("250 capture.test")
            elif verb == "MAIL":
                mail_from = _angle(command)
                recipients = []
                self.reply("250 2.1.0 OK")
            elif verb == "RCPT":
                recipients.append(_angle(command))
                self.reply("250 2.1.5 OK")
            elif verb == "DATA":
                if mail_from is None or not recipients:
                    self.reply("503 5.5.1 need MAIL and RCPT first")
                    continue
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while True:
                    data_line = self.rfile.readline()
                    if not data_line:
                        return
                    if data_line in (b".\r\n", b".\n"):
                        break
                    if data_line.startswith(b"."):
                        data_line = data_line[1:]
                    lines.append(data_line)
                capture.add(CapturedMail(mail_from, recipients, b"".join(lines)))
                mail_from, recipients = None, []
                self.reply("250 2.0.0 queued")
            elif verb == "RSET":
                mail_from, recipients = None, []
                self.reply("250 2.0.0 OK")
            elif verb == "NOOP":
                self.reply("250 2.0.0 OK")
            elif verb == "QUIT":
                self.reply("221 2.0.0 bye")
                return
            else:
                self.reply("502 5.5.2 not implemented")


def _angle(command):
    match = re.search(r"<([^>]*)>", command)
    return match.group(1) if match else command.split(":", 1)[-1].strip()


class _ThreadingSMTP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SMTPCapture:
    """A plain SMTP server on 127.0.0.1 (random port) collecting messages."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()
        self._server = _ThreadingSMTP(("127.0.0.1", 0), _SMTPHandler)
        self._server.capture = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def add(self, message):
        with self._lock:
            self.messages.append(message)

    def to(self, address):
        address = address.lower()
        with self._lock:
            return [m for m in self.messages if address in (r.lower() for r in m.recipients)]

    def wait_for(self, address, count=1, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"expected {count} mail(s) to {address} within {timeout}s, got {len(self.to(address))}")

    def close(self):
        self._server.shutdown()
        self._server.server_close()
