"""Issue 12 ("Safe to expose"), identity and API listener: the atomic
sign-in throttle, credentials that need a session, the per-account 2FA
throttle, reset-mail limits, and the API listener's idle timeout,
connection cap and open-file budget. Real binary, real clients."""

import resource
import select
import socket
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

import pytest

from conftest import conduit_binary, write_config
from identity_helpers import (
    SMTPCapture,
    assert_error,
    enable_2fa,
    http,
    random_password,
    start_server,
    totp_challenge,
    unique_email,
)

RESET = "/accounts/me/password-reset"
TOKENS = "/accounts/me/api-tokens"


@pytest.fixture(scope="module")
def smtp():
    capture = SMTPCapture()
    yield capture
    capture.close()


@pytest.fixture(scope="module")
def api(smtp):
    handle, cleanup = start_server("security-identity", extra=f'[mail]\nsmarthost = "127.0.0.1:{smtp.port}"\n')
    yield handle.client
    cleanup()


def assert_throttled(response):
    status, headers, body = response
    assert status == 429, (status, body)
    assert body["code"] == "too_many_attempts", body
    assert int(headers["Retry-After"]) > 0, headers


# --- item 3: the sign-in throttle holds under a burst -------------------------------


def test_fifty_concurrent_wrong_sign_ins_get_at_most_five_401s(api):
    account = api.new_account()
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(lambda _: api.sign_in(account.email, "wrong-password"), range(50)))
    statuses = [status for status, _, _ in responses]
    assert statuses.count(401) <= 5, statuses
    assert statuses.count(401) + statuses.count(429) == 50, statuses
    for response in responses:
        if response[0] == 429:
            assert_throttled(response)
    # The right password is throttled too.
    assert_throttled(api.sign_in(account.email, account.password))


def test_wrong_current_passwords_count_in_the_sign_in_throttle(api):
    account = api.new_account()
    for _ in range(3):
        assert_error(
            api.put("/accounts/me/password", {"current_password": "wrong-password", "new_password": random_password()}, token=account.access),
            401, "invalid_credentials",
        )
    for _ in range(2):
        assert_error(api.delete("/accounts/me", {"confirm": True, "password": "wrong-password"}, token=account.access), 401, "invalid_credentials")
    assert_throttled(api.sign_in(account.email, account.password))
    assert_throttled(api.put("/accounts/me/password", {"current_password": account.password, "new_password": random_password()}, token=account.access))
    assert_throttled(api.delete("/accounts/me", {"confirm": True, "password": account.password}, token=account.access))
    # Nothing was changed or deleted.
    assert api.me(account.access)[0] == 200


# --- item 4: credentials need a session ----------------------------------------------


def test_an_api_token_cannot_touch_credentials(api):
    account = api.new_account()
    status, _, created = api.post(TOKENS, {"name": "narrow", "allowed_ips": ["127.0.0.1"], "expires_in": 120}, token=account.access)
    assert status == 201, created
    token = created["token"]

    refused = [
        api.post(TOKENS, {"name": "unlimited"}, token=token),
        api.delete(f"{TOKENS}/{created['id']}", token=token),
        api.post("/accounts/me/2fa/setup", token=token),
        api.post("/accounts/me/2fa/enable", {"code": "123456"}, token=token),
        api.post("/accounts/me/2fa/backup-codes", {"code": "123456"}, token=token),
        api.delete("/accounts/me/2fa", {"code": "123456"}, token=token),
        api.put("/accounts/me/password", {"current_password": account.password, "new_password": random_password()}, token=token),
        api.delete("/accounts/me", {"confirm": True, "password": account.password}, token=token),
        # Refused before the body is read: the answer does not depend on it.
        api.post(TOKENS, raw=b"not json", token=token),
    ]
    for response in refused:
        assert_error(response, 403, "session_required")

    # Nothing changed: one token, no 2FA, the same password, the account alive.
    status, _, listed = api.get(TOKENS, token=token)
    assert status == 200 and [t["id"] for t in listed] == [created["id"]], listed
    assert api.sign_in(account.email, account.password)[2].get("totp_required") is None

    # Resources keep working with the token.
    status, _, domain = api.post("/domains", {"name": f"t{uuid.uuid4().hex[:10]}.example"}, token=token)
    assert status == 201, domain
    assert api.get("/domains", token=token)[0] == 200
    status, _, policy = api.post("/smtp-policies", {"name": "by-token"}, token=token)
    assert status == 201, policy
    assert api.get("/webhooks", token=token)[0] == 200

    # The same operations work with a session.
    status, _, other = api.post(TOKENS, {"name": "from-session"}, token=account.access)
    assert status == 201, other


# --- item 8: 2FA guesses are throttled per account -----------------------------------


def complete(api, challenge, code):
    return api.post("/sessions/2fa", {"totp_token": challenge, "code": code})


def test_five_wrong_codes_over_several_challenges_close_2fa(api):
    account = api.new_account()
    enable_2fa(api, account)
    first = totp_challenge(api, account)
    for _ in range(3):
        assert_error(complete(api, first, account.totp.wrong()), 401, "invalid_totp")
    second = totp_challenge(api, account)
    for _ in range(2):
        assert_error(complete(api, second, account.totp.wrong()), 401, "invalid_totp")

    right = account.totp.fresh()
    assert_throttled(complete(api, totp_challenge(api, account), right))
    assert_throttled(api.delete("/accounts/me/2fa", {"code": right}, token=account.access))
    assert_throttled(api.post("/accounts/me/2fa/backup-codes", {"code": right}, token=account.access))


def test_wrong_codes_on_disable_and_backup_codes_count_too(api):
    account = api.new_account()
    backup = enable_2fa(api, account)
    for _ in range(3):
        assert_error(api.delete("/accounts/me/2fa", {"code": account.totp.wrong()}, token=account.access), 401, "invalid_totp")
    for _ in range(2):
        assert_error(api.post("/accounts/me/2fa/backup-codes", {"code": account.totp.wrong()}, token=account.access), 401, "invalid_totp")
    # Even an unused backup code is refused now.
    assert_throttled(complete(api, totp_challenge(api, account), backup[0]))


# --- item 10: reset mails per email ----------------------------------------------------


def test_at_most_five_reset_mails_per_email(api, smtp):
    account = api.new_account()
    for _ in range(8):
        status, _, body = api.post(RESET, {"email": account.email})
        assert status == 202, body
    smtp.wait_for(account.email, count=5)
    time.sleep(2)  # the requests are handled in the background; give the rest time
    assert len(smtp.to(account.email)) == 5
    # Unknown emails still get 202 (no enumeration).
    assert api.post(RESET, {"email": unique_email()})[0] == 202


# --- item 9: the API listener ------------------------------------------------------------

# Long enough that "closed at once" (over the cap) and "closed at the idle
# timeout" stay apart on a CI machine busy with other jobs (4 s did not).
IDLE_SECONDS = 10
MAX_CONNECTIONS = 20


@pytest.fixture(scope="module")
def limited():
    handle, cleanup = start_server(
        "api-limits", api_settings=f"idle_timeout_seconds = {IDLE_SECONDS}\nmax_connections = {MAX_CONNECTIONS}\n"
    )
    yield handle.server
    cleanup()


def api_address(server):
    host, port = server.api_url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def closed_by_server(sock, timeout):
    """True when the server closes `sock` (EOF or reset) within `timeout` s."""
    ready, _, _ = select.select([sock], [], [], timeout)
    if not ready:
        return False
    try:
        return sock.recv(4096) == b""
    except ConnectionResetError:
        return True


def wait_closed(sock, timeout):
    """Seconds until the server closed `sock`, or None."""
    start = time.monotonic()
    deadline = start + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], deadline - time.monotonic())
        if not ready:
            break
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - start
        except ConnectionResetError:
            return time.monotonic() - start
    return None


def test_connections_over_the_cap_are_closed_and_smtp_keeps_answering(limited):
    address = api_address(limited)
    held = []
    try:
        held_since = time.monotonic()
        for _ in range(MAX_CONNECTIONS + 5):
            held.append(socket.create_connection(address, timeout=30))
        # Five are over the cap and closed at once, well before the idle
        # timeout. Which five is not asserted: the server counts connections
        # on several event loops, so the last ones connected are not
        # necessarily the last ones counted (a sleep "to let the server
        # accept" the first twenty was a race).
        over_cap = []
        while len(over_cap) < 5:
            remaining = held_since + IDLE_SECONDS - 1 - time.monotonic()
            assert remaining > 0, f"{len(over_cap)} of 5 extra API connections closed before the idle timeout"
            ready, _, _ = select.select([s for s in held if s not in over_cap], [], [], remaining)
            for sock in ready:
                try:
                    if sock.recv(4096) == b"":
                        over_cap.append(sock)
                except ConnectionResetError:
                    over_cap.append(sock)
        for sock in over_cap:
            held.remove(sock)
            sock.close()
        assert len(held) == MAX_CONNECTIONS
        # The others are still open at this point (unless a slow machine
        # already reached the idle timeout, which the checks below cover).
        if time.monotonic() - held_since < IDLE_SECONDS - 1:
            assert not any(closed_by_server(sock, timeout=0) for sock in held)

        # SMTP is untouched by the full API listener.
        with socket.create_connection(("127.0.0.1", limited.smtp_port), timeout=30) as smtp_sock:
            assert smtp_sock.recv(512).startswith(b"220 "), "SMTP did not greet"

        # The idle connections are dropped after the idle timeout...
        for sock in held:
            assert wait_closed(sock, timeout=IDLE_SECONDS + 30) is not None, "idle API connection was not closed"
    finally:
        for sock in held:
            sock.close()
    # ...and the API serves a normal request again.
    status, _, body = http(limited.api_url, "GET", "/healthz")
    assert status == 200, body


def test_an_incomplete_request_head_is_closed_after_the_idle_timeout(limited):
    # Timed from before the connect: the server's timer cannot start earlier,
    # so the lower bound below holds however the client thread is scheduled.
    start = time.monotonic()
    with socket.create_connection(api_address(limited), timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: conduit\r\n")  # no blank line: never complete
        # Keep dripping header bytes: the head stays incomplete.
        closed_after = None
        while time.monotonic() - start < IDLE_SECONDS + 30:
            if closed_by_server(sock, timeout=0.5):
                closed_after = time.monotonic() - start
                break
            try:
                sock.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - start
                break
        assert closed_after is not None, "slowloris head was never closed"
        # Not before the timeout; after it by as much as a busy machine takes
        # (the drip alone would keep it open for ever).
        assert IDLE_SECONDS - 1 <= closed_after <= IDLE_SECONDS + 30, closed_after


def test_a_body_sent_a_byte_at_a_time_is_closed_after_the_idle_timeout(limited):
    with socket.create_connection(api_address(limited), timeout=30) as sock:
        sock.sendall(
            b"POST /api/v1/sessions HTTP/1.1\r\nHost: conduit\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        start = time.monotonic()
        closed_after = None
        while time.monotonic() - start < IDLE_SECONDS + 30:
            if closed_by_server(sock, timeout=0.5):
                closed_after = time.monotonic() - start
                break
            try:
                sock.sendall(b" ")
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - start
                break
        assert closed_after is not None, "slow body was never closed"
        assert closed_after <= IDLE_SECONDS + 30, closed_after


def test_a_keep_alive_connection_serves_requests_within_the_timeout(limited):
    # Normal clients are not hurt: requests on one connection, each well
    # inside the timeout, all succeed.
    host, port = api_address(limited)
    connection = HTTPConnection(host, port, timeout=30)
    try:
        for _ in range(3):
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            assert response.status == 200, response.read()
            response.read()
            time.sleep(1)
        # One connection served them all (keep-alive), each within the timeout.
        assert connection.sock is not None
    finally:
        connection.close()


# --- item 9: the open-file budget --------------------------------------------------------


def run_with_nofile(config, soft, hard, timeout=60):
    """`conduit serve` with RLIMIT_NOFILE (soft, hard); returns the Popen and log path."""
    log = config.parent / "serve.log"
    out = open(log, "ab")
    proc = subprocess.Popen(
        [conduit_binary(), "serve", "--config", str(config)],
        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)),
    )
    out.close()
    return proc, log


def test_caps_beyond_the_open_file_limit_refuse_to_start():
    with tempfile.TemporaryDirectory(prefix="conduit-nofile-") as tmp:
        config = write_config(Path(tmp))  # default caps: 1000 + 2 × 1000 + 1024 reserved
        proc, log = run_with_nofile(config, 1024, 2048)
        assert proc.wait(timeout=60) == 78
        text = log.read_text()
        assert "api.max_connections" in text and "2048" in text, text


def test_the_soft_open_file_limit_is_raised_to_the_hard_one():
    with tempfile.TemporaryDirectory(prefix="conduit-nofile-") as tmp:
        config = write_config(Path(tmp))
        text = config.read_text().replace("[api]\n", "[api]\nmax_connections = 20\n", 1)
        text = text.replace("[smtp]\n", "[smtp]\nmax_connections = 50\n", 1)
        config.write_text(text)
        proc, log = run_with_nofile(config, 512, 2048)
        try:
            deadline = time.monotonic() + 60
            while "Conduit ready" not in log.read_text():
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            limits = Path(f"/proc/{proc.pid}/limits").read_text()
            line = next(l for l in limits.splitlines() if l.startswith("Max open files"))
            assert line.split()[3:5] == ["2048", "2048"], line
        finally:
            proc.terminate()
            proc.wait(timeout=30)
