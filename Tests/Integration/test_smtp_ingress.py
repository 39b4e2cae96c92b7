"""Recipients and security policies at SMTP time, against the real binary
with a real DNS server (dns-serve.py) answering SPF and DKIM queries:
exact address → local+tag → catch-all resolution, 550 5.1.1 / 5.2.1,
source-IP (550 5.7.1), SMTP AUTH over STARTTLS (530 5.7.0, 535), SPF
(550 5.7.23, 451 4.7.24), DKIM after DATA (550 5.7.20; a signature made by
dkimpy passes), and a kill -9 between the spool commit and the 250 reply
followed by a restart that finds the message in the spool."""

import base64
import signal
import smtplib
import ssl
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import RunningConduit
from dns_helpers import (
    DNSServer,
    dns_config,
    free_port,
    require_dns_serve,
    start_conduit,
    txt_name,
    verification_value,
)
from identity_helpers import Client
from smtp_helpers import (
    PUBLIC,
    dkim_signed,
    make_certificate,
    make_policy,
    make_webhook,
    queued_id,
    spool_list,
    spool_show,
    spooled,
    unique_local,
)

SPF_PASS = "spf-pass.example"
SPF_FAIL = "spf-fail.example"
SPF_TEMP = "spf-temp.example"
DKIM_DOMAIN = "signed.example"
CATCH = "catch.conduit.test"
DKIM_SELECTOR = "sel1"


@pytest.fixture(scope="module")
def dkim_key(tmp_path_factory):
    directory = tmp_path_factory.mktemp("dkim")
    key = directory / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", str(key), "2048"], check=True, capture_output=True)
    der = subprocess.run(
        ["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    return key, base64.b64encode(der).decode()


@pytest.fixture(scope="module")
def dns(tmp_path_factory, dkim_key):
    require_dns_serve()
    server = DNSServer(free_port(), tmp_path_factory.mktemp("dns"))
    _, public = dkim_key
    server.base_zone = {
        SPF_PASS: [{"TXT": "v=spf1 ip4:127.0.0.1 -all"}],
        SPF_FAIL: [{"TXT": "v=spf1 -all"}],
        SPF_TEMP: ["TIMEOUT"],
        f"{DKIM_SELECTOR}._domainkey.{DKIM_DOMAIN}": [{"TXT": f"v=DKIM1; k=rsa; p={public}"}],
    }
    server.serve(server.base_zone)
    yield server
    server.close()


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def server(dns, certs):
    cert, key = certs
    handle, cleanup = start_conduit(
        "ingress",
        extra=dns_config(dns.port),
        smtp_settings=f'public_domains = ["{PUBLIC}"]\ntls_cert = "{cert}"\ntls_key = "{key}"\n',
    )
    handle.api = Client(handle.server.api_url)
    handle.account = handle.api.new_account()
    # A catch-all needs a domain of the account's own: public domains
    # reserve `*@` (docs/API.md), so CATCH is claimed and verified over DNS.
    status, _, domain = handle.api.post("/domains", {"name": CATCH}, token=handle.account.access)
    assert status == 201, (status, domain)
    dns.serve({**dns.base_zone, txt_name(CATCH): [{"TXT": verification_value(domain["verification_token"])}]})
    status, _, domain = handle.api.post(f"/domains/{domain['id']}/verify", token=handle.account.access)
    assert status == 200 and domain["verified"] is True, (status, domain)
    handle.catch_all = make_webhook(handle.api, handle.account, f"*@{CATCH}")
    yield handle
    cleanup()


def smtp_port(server):
    return server.server.smtp_port


def hook(server, local=None, domain=PUBLIC, **fields):
    address = f"{local or unique_local()}@{domain}"
    return address, make_webhook(server.api, server.account, address, **fields)


def body(subject="test"):
    return (
        f"From: sender@example.org\r\nTo: x@{PUBLIC}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.org>\r\n\r\nHello.\r\n"
    ).encode()


def spool_deliveries(server, message_id):
    """(webhook_id, rcpt_to, tag) of each delivery of a spooled message."""
    entry = spooled(server.server.config, message_id)
    assert entry is not None, message_id
    return [(d["webhook_id"], d["rcpt_to"], d.get("tag")) for d in entry["deliveries"]]


def transaction(server, rcpts, sender="sender@example.org", data=None, helo="client.example", before=None):
    """One transaction: RCPT replies as (code, text) and the DATA reply (or None)."""
    with smtplib.SMTP("127.0.0.1", smtp_port(server), timeout=30, local_hostname=helo) as client:
        client.ehlo()
        if before:
            before(client)
        code, reply = client.mail(sender)
        assert code == 250, reply
        replies = [client.rcpt(r) for r in rcpts]
        if not any(code == 250 for code, _ in replies):
            return replies, None
        return replies, client.data(data or body())


def test_exact_tag_and_catch_all_resolution(server):
    exact, exact_hook = hook(server)
    local = exact.split("@")[0]
    replies, (code, reply) = transaction(server, [exact, f"{local}+orders@{PUBLIC}", f"{local.upper()}@{PUBLIC.upper()}"])
    assert [c for c, _ in replies] == [250, 250, 250]
    assert code == 250
    # One delivery per webhook, however many addresses led to it; the
    # first address wins (it had no tag).
    assert spool_deliveries(server, queued_id(reply)) == [(exact_hook["id"], exact, None)]
    replies, (code, reply) = transaction(server, [f"{local}+orders@{PUBLIC}"])
    assert spool_deliveries(server, queued_id(reply)) == [(exact_hook["id"], f"{local}+orders@{PUBLIC}", "orders")]
    entry = spooled(server.server.config, queued_id(reply))["message"]
    assert entry["mail_from"] == "sender@example.org"
    assert entry["helo"] == "client.example" and entry["remote_ip"] == "127.0.0.1"
    assert entry["tls"] is False and entry.get("auth_user") is None
    assert entry["spf"] == {"result": "none", "domain": "example.org"}

    # Unknown on a domain without a catch-all.
    replies, _ = transaction(server, [f"nobody-{uuid.uuid4().hex[:6]}@{PUBLIC}"])
    assert replies[0][0] == 550 and replies[0][1].startswith(b"5.1.1")
    # A domain nobody verified.
    replies, _ = transaction(server, ["someone@not-served.example"])
    assert replies[0][0] == 550 and replies[0][1].startswith(b"5.1.1")


def test_catch_all_takes_what_no_address_matches(server):
    # CATCH has a catch-all (made by the fixture) and one exact address.
    exact, exact_hook = hook(server, domain=CATCH)
    replies, (code, reply) = transaction(server, [f"someone+news@{CATCH}"])
    assert replies[0][0] == 250 and code == 250
    deliveries = spool_deliveries(server, queued_id(reply))
    assert deliveries == [(server.catch_all["id"], f"someone+news@{CATCH}", "news")]

    replies, (code, reply) = transaction(server, [exact])
    assert code == 250
    assert [d[0] for d in spool_deliveries(server, queued_id(reply))] == [exact_hook["id"]]


def test_inactive_webhook_is_mailbox_disabled(server):
    address, webhook = hook(server, active=False)
    replies, _ = transaction(server, [address])
    assert replies[0][0] == 550 and replies[0][1].startswith(b"5.2.1")


def test_source_ip_policy(server):
    closed_policy = make_policy(server.api, server.account, allowed_source_ips="10.0.0.0/8, 2001:db8::/32")
    open_policy = make_policy(server.api, server.account, allowed_source_ips="127.0.0.0/8")
    refused, _ = hook(server, smtp_security_policy_id=closed_policy["id"])
    allowed, _ = hook(server, smtp_security_policy_id=open_policy["id"])
    replies, (code, _) = transaction(server, [refused, allowed])
    assert replies[0][0] == 550 and replies[0][1].startswith(b"5.7.1")
    assert replies[1][0] == 250 and code == 250


def test_smtp_auth_policy(server, certs):
    cert, _ = certs
    user = "u" + uuid.uuid4().hex[:8]
    password = "pw-" + uuid.uuid4().hex
    policy = make_policy(server.api, server.account, require_smtp_auth=True, smtp_credentials=f"{user}:{password}")
    address, _ = hook(server, smtp_security_policy_id=policy["id"])

    replies, _ = transaction(server, [address])
    assert replies[0][0] == 530 and replies[0][1].startswith(b"5.7.0")

    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False

    def tls_login(password_to_use):
        def step(client):
            client.starttls(context=context)
            client.ehlo()
            client.login(user, password_to_use)
        return step

    with pytest.raises(smtplib.SMTPAuthenticationError) as failure:
        transaction(server, [address], before=tls_login("wrong-password"))
    assert failure.value.smtp_code == 535

    replies, (code, reply) = transaction(server, [address], before=tls_login(password))
    assert replies[0][0] == 250 and code == 250
    stored = spool_show(server.server.config, queued_id(reply))
    assert b"with ESMTPSA id" in stored

    # AUTH LOGIN works too.
    def login_mechanism(client):
        client.starttls(context=context)
        client.ehlo()
        client.user, client.password = user, password
        code, _ = client.auth("LOGIN", client.auth_login, initial_response_ok=False)
        assert code == 235
    replies, (code, _) = transaction(server, [address], before=login_mechanism)
    assert replies[0][0] == 250 and code == 250


def test_spf_policy(server):
    policy = make_policy(server.api, server.account, require_spf=True)
    address, _ = hook(server, smtp_security_policy_id=policy["id"])

    replies, (code, _) = transaction(server, [address], sender=f"a@{SPF_PASS}")
    assert replies[0][0] == 250 and code == 250

    replies, _ = transaction(server, [address], sender=f"a@{SPF_FAIL}")
    assert replies[0][0] == 550 and replies[0][1].startswith(b"5.7.23"), replies

    replies, _ = transaction(server, [address], sender=f"a@{SPF_TEMP}")
    assert replies[0][0] == 451 and replies[0][1].startswith(b"4.7.24"), replies

    # Null sender: the HELO name is checked.
    replies, (code, _) = transaction(server, [address], sender="<>", helo=SPF_PASS)
    assert replies[0][0] == 250 and code == 250

    # Passing SPF for a domain the policy does not list is not enough.
    listed = make_policy(server.api, server.account, require_spf=True, allowed_spf_domains="other.example")
    strict, _ = hook(server, smtp_security_policy_id=listed["id"])
    replies, _ = transaction(server, [strict], sender=f"a@{SPF_PASS}")
    assert replies[0][0] == 550 and replies[0][1].startswith(b"5.7.23")


def dkim_sign(key: Path, message: bytes) -> bytes:
    return dkim_signed(key, message, DKIM_DOMAIN, DKIM_SELECTOR)


def test_dkim_policy(server, dkim_key):
    key, _ = dkim_key
    policy = make_policy(server.api, server.account, require_dkim=True, allowed_dkim_domains=DKIM_DOMAIN)
    guarded, guarded_hook = hook(server, smtp_security_policy_id=policy["id"])
    plain, plain_hook = hook(server)

    signed = dkim_sign(key, body("signed " + uuid.uuid4().hex))
    replies, (code, reply) = transaction(server, [guarded], data=signed)
    assert replies[0][0] == 250 and code == 250, reply
    entry = spooled(server.server.config, queued_id(reply))
    assert entry["message"]["dkim"] == [{"domain": DKIM_DOMAIN, "selector": DKIM_SELECTOR, "result": "pass"}]
    assert [d[0] for d in spool_deliveries(server, queued_id(reply))] == [guarded_hook["id"]]

    # Unsigned, and the only recipient needs DKIM: refused after DATA.
    replies, (code, reply) = transaction(server, [guarded])
    assert replies[0][0] == 250
    assert code == 550 and reply.startswith(b"5.7.20"), reply

    # Tampered after signing: fails the same way.
    tampered = signed.replace(b"Hello.", b"Hullo.")
    _, (code, reply) = transaction(server, [guarded], data=tampered)
    assert code == 550 and reply.startswith(b"5.7.20"), reply

    # Unsigned with a second recipient that does not need DKIM: accepted,
    # delivered only to that one.
    _, (code, reply) = transaction(server, [guarded, plain])
    assert code == 250, reply
    assert spool_deliveries(server, queued_id(reply)) == [(plain_hook["id"], plain, None)]

    # The recipients DKIM turned away are in the webhook's delivery log,
    # newest first: unsigned+plain, tampered, unsigned. (The signed message's
    # delivery attempts to receiver.example, which does not resolve, are
    # there too.)
    logs_path = f"/webhooks/{guarded_hook['id']}/logs"
    status, _, everything = server.api.get(logs_path, token=server.account.access)
    assert status == 200, everything
    logs = [row for row in everything if (row["error"] or "").startswith("not delivered: ")]
    attempts = [row for row in everything if not (row["error"] or "").startswith("not delivered: ")]
    assert len(logs) == 3
    assert all("receiver.example" in row["error"] for row in attempts), attempts
    for row in logs:
        assert set(row) == {"id", "webhook_id", "attempted_at", "duration_ms", "error", "http_status", "sender",
                            "simulated", "smtp_message_id"}
        assert row["webhook_id"] == guarded_hook["id"] and row["sender"] == "sender@example.org"
        assert row["http_status"] is None and row["simulated"] is False
        assert row["error"].startswith("not delivered: ") and "DKIM" in row["error"], row
        assert row["smtp_message_id"].startswith("<") and row["smtp_message_id"].endswith("@example.org>")
    assert "DKIM fail" in logs[1]["error"]
    assert [r["id"] for r in everything] == sorted((r["id"] for r in everything), reverse=True)
    status, _, page = server.api.get(logs_path + "?page=2&page_size=1", token=server.account.access)
    assert status == 200 and [r["id"] for r in page] == [everything[1]["id"]]
    status, _, page = server.api.get(logs_path + f"?page={len(everything) + 1}&page_size=1", token=server.account.access)
    assert status == 200 and page == []
    for query in ("page=0", "page_size=0", "page_size=101", "page=abc", "page=1&page=2", "page=-1", "page_size=1.5"):
        status, _, error = server.api.get(f"{logs_path}?{query}", token=server.account.access)
        assert status == 422 and error["code"] == "invalid_request", (query, status, error)
    other = server.api.new_account()
    status, _, error = server.api.get(logs_path, token=other.access)
    assert status == 404, error
    # The recipient without a policy: attempts only, no refusal.
    status, _, logs = server.api.get(f"/webhooks/{plain_hook['id']}/logs", token=server.account.access)
    assert status == 200 and not [r for r in logs if (r["error"] or "").startswith("not delivered")], logs


def test_kill_9_between_commit_and_reply_loses_nothing(tmp_path):
    handle, cleanup = start_conduit("crash", smtp_settings=f'public_domains = ["{PUBLIC}"]\n')
    try:
        api = Client(handle.server.api_url)
        account = api.new_account()
        address = f"{unique_local()}@{PUBLIC}"
        make_webhook(api, account, address)
        config = handle.server.config
        handle.server.stop()

        crashing = RunningConduit(config, handle.directory / "crash.log", env={"CONDUIT_FAULT": "after-spool-commit"})
        subject = "crash " + uuid.uuid4().hex
        with pytest.raises((smtplib.SMTPServerDisconnected, ConnectionError)):
            with smtplib.SMTP("127.0.0.1", crashing.smtp_port, timeout=30) as client:
                client.ehlo("client.example")
                client.mail("sender@example.org")
                assert client.rcpt(address)[0] == 250
                client.data(body(subject))
        crashing.proc.wait(timeout=10)
        assert crashing.proc.returncode == -signal.SIGKILL
        crashing.log_file.close()

        # Restarted: the message that never got its 250 is in the spool.
        restarted = RunningConduit(config, handle.directory / "serve.log")
        handle.server = restarted
        listing = spool_list(config)
        ids = [line.split()[0] for line in listing.splitlines() if line.strip()]
        found = [i for i in ids if subject.encode() in spool_show(config, i)]
        assert len(found) == 1, listing
        assert "=pending" in listing
        restarted.stop()
    finally:
        cleanup()
