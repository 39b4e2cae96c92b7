"""Issue 12 ("Safe to expose"), the SMTP side, against the real binary:

- item 5: on a public domain, catch-all (`*@`) and `+` addresses are
  reserved (422 public_domain_reserved), create and update alike;
- item 6: SMTP AUTH user names are unique on the server (409
  username_taken, 422 for a name twice in one request), so no other account
  can lock a user out of AUTH by reusing its name;
- item 7: the per-IP connection limit counts IPv6 clients per /64 (run in a
  network namespace of its own, where loopback gets several IPv6 addresses;
  skipped where namespaces cannot be made);
- item 12: STARTTLS discards AUTH from before it (RFC 3207 §4.2): AUTH in
  plaintext (allow_insecure_auth), STARTTLS, then a recipient that needs
  AUTH is refused with 530 5.7.0.

One Conduit for the module, with one public domain and STARTTLS; the /64
test runs its own."""

import json
import os
import shutil
import smtplib
import ssl
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import conduit_binary
from dns_helpers import start_conduit
from identity_helpers import Client, assert_error
from smtp_helpers import PUBLIC, make_certificate, make_policy, make_webhook, unique_local

TARGET = "https://receiver.example/hook"


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def server(certs):
    cert, key = certs
    handle, cleanup = start_conduit(
        "security-smtp",
        smtp_settings=(
            f'public_domains = ["{PUBLIC}"]\ntls_cert = "{cert}"\ntls_key = "{key}"\n'
            "allow_insecure_auth = true\n"
        ),
    )
    handle.api = Client(handle.server.api_url)
    yield handle
    cleanup()


@pytest.fixture
def account(server):
    return server.api.new_account()


@pytest.fixture
def other(server):
    return server.api.new_account()


def unique_user(prefix="relay"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def tls_context(certs):
    context = ssl.create_default_context(cafile=str(certs[0]))
    context.check_hostname = False
    return context


# --- item 5: public domains are shared ground ----------------------------------------


@pytest.mark.parametrize("local", ["*", "alice+bank", "+x", "a+"])
def test_reserved_addresses_on_a_public_domain_are_refused(server, account, local):
    address = f"{local}@{PUBLIC}"
    assert_error(
        server.api.post("/webhooks", {"address": address, "target_url": TARGET}, token=account.access),
        422, "public_domain_reserved",
    )
    # Any spelling of the domain is the public domain.
    assert_error(
        server.api.post("/webhooks", {"address": f"{local}@{PUBLIC.upper()}", "target_url": TARGET}, token=account.access),
        422, "public_domain_reserved",
    )
    status, _, hooks = server.api.get("/webhooks", token=account.access)
    assert status == 200 and hooks == [], (status, hooks)


def test_an_update_cannot_move_to_a_reserved_address(server, account):
    webhook = make_webhook(server.api, account, f"{unique_local()}@{PUBLIC}")
    for address in (f"*@{PUBLIC}", f"{unique_local()}+tag@{PUBLIC}"):
        assert_error(
            server.api.put(f"/webhooks/{webhook['id']}", {"address": address}, token=account.access),
            422, "public_domain_reserved",
        )
    status, _, fetched = server.api.get(f"/webhooks/{webhook['id']}", token=account.access)
    assert status == 200 and fetched["address"] == webhook["address"], (status, fetched)


def test_tagged_mail_on_a_public_domain_reaches_the_owner_of_the_address(server, account, other):
    """What the reservation protects: `alice+bank@` can only be alice's."""
    local = unique_local("alice")
    make_webhook(server.api, account, f"{local}@{PUBLIC}")
    assert_error(
        server.api.post("/webhooks", {"address": f"{local}+bank@{PUBLIC}", "target_url": TARGET}, token=other.access),
        422, "public_domain_reserved",
    )
    with smtplib.SMTP("127.0.0.1", server.server.smtp_port, timeout=30) as client:
        client.ehlo("client.example")
        assert client.mail("sender@example.org")[0] == 250
        assert client.rcpt(f"{local}+bank@{PUBLIC}")[0] == 250
        # Nobody may own the rest of the domain either.
        code, reply = client.rcpt(f"unregistered-{uuid.uuid4().hex[:8]}@{PUBLIC}")
        assert code == 550 and reply.startswith(b"5.1.1"), (code, reply)


# --- item 6: SMTP AUTH user names are unique on the server -----------------------------


def test_a_user_name_of_another_account_is_taken(server, account, other):
    user = unique_user()
    mine = make_policy(server.api, account, smtp_credentials=f"{user}:first-password")
    response = server.api.post(
        "/smtp-policies", {"name": "copy", "smtp_credentials": f"{user}:second-password"}, token=other.access
    )
    assert_error(response, 409, "username_taken")
    assert user in response[2]["error"], response
    theirs = make_policy(server.api, other, smtp_credentials=f"{unique_user()}:second-password")
    assert_error(
        server.api.put(f"/smtp-policies/{theirs['id']}", {"smtp_credentials": f"{user}:second-password"}, token=other.access),
        409, "username_taken",
    )
    # The same account's other policy may not share it either.
    assert_error(
        server.api.post("/smtp-policies", {"name": "twin", "smtp_credentials": f"{user}:third-password"}, token=account.access),
        409, "username_taken",
    )
    # Its holder keeps it through an update.
    status, _, updated = server.api.put(
        f"/smtp-policies/{mine['id']}", {"smtp_credentials": f"{user}:new-password"}, token=account.access
    )
    assert status == 200 and updated["smtp_credentials"] == user, (status, updated)
    # Deleting the holder frees the name.
    status, _, _ = server.api.delete(f"/smtp-policies/{mine['id']}", token=account.access)
    assert status == 204
    make_policy(server.api, other, smtp_credentials=f"{user}:second-password")


def test_a_user_name_twice_in_one_request_is_invalid(server, account):
    user = unique_user()
    assert_error(
        server.api.post(
            "/smtp-policies", {"name": "dup", "smtp_credentials": f"{user}:password-one, {user}:password-two"},
            token=account.access,
        ),
        422, "invalid_smtp_credentials",
    )


def auth_guarded_address(server, account, user, password):
    policy = make_policy(server.api, account, require_smtp_auth=True, smtp_credentials=f"{user}:{password}")
    address = f"{unique_local('guarded')}@{PUBLIC}"
    make_webhook(server.api, account, address, smtp_security_policy_id=policy["id"])
    return address


def rcpt_after(server, steps, address):
    """RCPT reply for `address` after `steps(client)` on a fresh connection."""
    with smtplib.SMTP("127.0.0.1", server.server.smtp_port, timeout=30) as client:
        client.ehlo("client.example")
        steps(client)
        assert client.mail("sender@example.org")[0] == 250
        return client.rcpt(address)


def test_another_account_cannot_lock_a_user_out_of_auth(server, certs, account, other):
    user, password = unique_user(), "pw-" + uuid.uuid4().hex
    address = auth_guarded_address(server, account, user, password)
    # Before issue 12, twenty newer policies with this name took AUTH over.
    for _ in range(20):
        assert_error(
            server.api.post("/smtp-policies", {"name": "squat", "smtp_credentials": f"{user}:squatters-password"},
                            token=other.access),
            409, "username_taken",
        )

    def login(password_to_use):
        def step(client):
            client.starttls(context=tls_context(certs))
            client.ehlo("client.example")
            client.login(user, password_to_use)
        return step

    code, _ = rcpt_after(server, login(password), address)
    assert code == 250
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        rcpt_after(server, login("squatters-password"), address)
    assert refused.value.smtp_code == 535


# --- item 12: STARTTLS discards AUTH -------------------------------------------------------


def test_starttls_discards_plaintext_auth(server, certs, account):
    user, password = unique_user(), "pw-" + uuid.uuid4().hex
    address = auth_guarded_address(server, account, user, password)

    def plaintext_login(client):
        client.login(user, password)

    # Control: AUTH in plaintext (allow_insecure_auth) counts without STARTTLS.
    assert rcpt_after(server, plaintext_login, address)[0] == 250

    def login_then_starttls(client):
        client.login(user, password)
        client.starttls(context=tls_context(certs))
        client.ehlo("client.example")
        # A fresh session: AUTH is offered again.
        assert client.has_extn("auth"), client.esmtp_features

    code, reply = rcpt_after(server, login_then_starttls, address)
    assert code == 530 and reply.startswith(b"5.7.0"), (code, reply)

    def login_again_inside_tls(client):
        login_then_starttls(client)
        client.login(user, password)

    assert rcpt_after(server, login_again_inside_tls, address)[0] == 250


# --- item 7: per-IP limits count an IPv6 /64 as one client -----------------------------

# Runs inside a fresh network namespace: loopback up with IPv6 addresses in
# two /64s, a Conduit listening on [::] with max_connections_per_ip = 2, and
# one connection from each address in turn. Prints the banner codes as JSON.
NAMESPACE_SCRIPT = r"""
import json, socket, subprocess, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from conftest import RunningConduit

sources = sys.argv[2:]
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
for source in sources:
    if ":" in source and source != "::1":
        subprocess.run(["ip", "-6", "addr", "add", source + "/128", "dev", "lo", "nodad"], check=True)
with tempfile.TemporaryDirectory(prefix="conduit-ipv6-") as d:
    directory = Path(d)
    config = directory / "conduit.toml"
    config.write_text(f'''
[storage]
path = "{directory / 'data'}"
map_size_mb = 64
[api]
listen = "127.0.0.1:0"
[smtp]
listen = "[::]:0"
hostname = "mx.conduit.test"
max_connections_per_ip = 2
''')
    server = RunningConduit(config, directory / "serve.log")
    held, codes = [], []
    try:
        for source in sources:
            family = socket.AF_INET6 if ":" in source else socket.AF_INET
            sock = socket.socket(family)
            sock.settimeout(10)
            sock.bind((source, 0))
            sock.connect(("::1" if family == socket.AF_INET6 else "127.0.0.1", server.smtp_port))
            data = b""
            while b"\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
            codes.append(data.decode(errors="replace").split("\r\n")[0])
            held.append(sock)
    finally:
        for sock in held:
            sock.close()
        server.stop()
    print(json.dumps(codes))
"""


def test_ipv6_clients_are_limited_per_slash_64():
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs unshare and ip")
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot create a network namespace here")
    sources = [
        "2001:db8:1:2::a",        # admitted
        "2001:db8:1:2::b",        # admitted: second of the /64
        "2001:db8:1:2:ffff::c",   # refused: third of the same /64
        "2001:db8:1:3::a",        # admitted: another /64
        # IPv4 reaches the [::] listener as ::ffff:127.0.0.1 and is counted
        # as 127.0.0.1, each address on its own:
        "127.0.0.1",
        "127.0.0.1",
        "127.0.0.1",              # refused: third from 127.0.0.1
    ]
    result = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", NAMESPACE_SCRIPT, str(Path(__file__).parent), *sources],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "CONDUIT_BIN": conduit_binary()},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    banners = json.loads(result.stdout.strip().splitlines()[-1])
    codes = [banner[:9] for banner in banners]
    assert codes == [
        "220 mx.co", "220 mx.co", "421 4.7.0", "220 mx.co", "220 mx.co", "220 mx.co", "421 4.7.0",
    ], banners
