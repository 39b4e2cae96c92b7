"""DMARC and ARC in the server (issue 17 points 3 and 4), against the real
binary with a real DNS server (dns-serve.py) on loopback: every payload's
auth.dmarc, auth.arc and auth.results for pass, fail, none and a sealed
ARC chain; a security policy's dmarc_enforcement = "reject" answering 550
5.7.1 for its webhook's recipient (with a delivery-log row naming the DMARC
and ARC results) while another webhook's recipient of the same message is
delivered; p=quarantine delivered; a _dmarc lookup that times out giving
451 4.7.5; and [smtp] dmarc = false leaving the verdicts null.

Docs: docs/DMARC.md ("In the server", "Enforcement"), docs/PAYLOAD.md."""

import base64
import os
import smtplib
import sys
import subprocess
import uuid
from pathlib import Path

import pytest

from dns_helpers import DNSServer, dns_config, free_port, require_dns_serve, start_conduit
from identity_helpers import Client
import smtp_helpers
from smtp_helpers import PUBLIC, make_policy, make_webhook, unique_local
from webhook_receiver import payload

REPO = Path(__file__).resolve().parents[2]
SELECTOR = "sel1"
PASS = "aligned.example"  # SPF passes for 127.0.0.1, p=reject
REJECT = "reject.example"  # p=reject, no SPF
QUARANTINE = "quarantine.example"  # p=quarantine
NOPOLICY = "nopolicy.example"  # no _dmarc record
TEMP = "temp.example"  # _dmarc times out
SIGNED = "signed.example"  # DKIM key, p=reject
FORWARDER = "forwarder.example"  # ARC sealer's key
DELIVERY = "\n[delivery]\nallow_private_targets = true\ntimeout_ms = 3000\n"


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory):
    directory = tmp_path_factory.mktemp("keys")
    key = directory / "key.pem"
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", str(key), "2048"], check=True, capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"], check=True, capture_output=True).stdout
    return key, base64.b64encode(der).decode()


@pytest.fixture(scope="module")
def dns(tmp_path_factory, rsa_key):
    require_dns_serve()
    server = DNSServer(free_port(), tmp_path_factory.mktemp("dns"))
    _, public = rsa_key
    key_record = [{"TXT": f"v=DKIM1; k=rsa; p={public}"}]
    server.serve({
        PASS: [{"TXT": "v=spf1 ip4:127.0.0.1 -all"}],
        f"_dmarc.{PASS}": [{"TXT": "v=DMARC1; p=reject"}],
        f"_dmarc.{REJECT}": [{"TXT": "v=DMARC1; p=reject"}],
        f"_dmarc.{QUARANTINE}": [{"TXT": "v=DMARC1; p=quarantine"}],
        f"_dmarc.{TEMP}": ["TIMEOUT"],
        f"_dmarc.{SIGNED}": [{"TXT": "v=DMARC1; p=reject; adkim=s"}],
        f"{SELECTOR}._domainkey.{SIGNED}": key_record,
        f"{SELECTOR}._domainkey.{FORWARDER}": key_record,
    })
    yield server
    server.close()


def start(dns, prefix, smtp_settings=""):
    handle, cleanup = start_conduit(
        prefix, extra=dns_config(dns.port) + DELIVERY,
        smtp_settings=f'public_domains = ["{PUBLIC}"]\n' + smtp_settings,
    )
    handle.api = Client(handle.server.api_url)
    handle.account = handle.api.new_account()
    return handle, cleanup


@pytest.fixture(scope="module")
def server(dns):
    handle, cleanup = start(dns, "dmarc")
    yield handle
    cleanup()


def message(author, subject="test"):
    return (
        f"From: Author <a@{author}>\r\nTo: x@{PUBLIC}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@{author}>\r\n\r\nHello.\r\n"
    ).encode()


def venv_python(script, *args, data, python=None):
    return subprocess.run([python or smtp_helpers.oracle_python(), "-c", script, *args],
                          input=data, capture_output=True, check=True).stdout


def arc_python():
    """dkimpy's ARC signer needs `authres`, which the shared oracle venv
    lacks: the ARC oracle's venv has it (made by its script on first use)."""
    venv = Path(os.environ.get("ARC_ORACLE_VENV", "/tmp/arcoraclevenv"))
    subprocess.run([sys.executable, str(REPO / "scripts" / "arc-oracle.py"), "--help"], check=True, capture_output=True)
    return str(venv / "bin" / "python")


def dkim_signed(key, data, domain):
    return smtp_helpers.dkim_signed(key, data, domain, SELECTOR)


def arc_sealed(key, data):
    """`data` as a forwarder passes it on: its Authentication-Results and one ARC set (cv=none)."""
    script = (
        "import sys, dkim\n"
        "msg = b'Authentication-Results: mx.' + sys.argv[3].encode() + b'; spf=pass smtp.mailfrom=a@x.example\\r\\n'"
        " + sys.stdin.buffer.read()\n"
        "fields = dkim.arc_sign(msg, sys.argv[2].encode(), sys.argv[3].encode(), open(sys.argv[1], 'rb').read(),"
        " b'mx.' + sys.argv[3].encode())\n"
        "sys.stdout.buffer.write(b''.join(fields) + msg)\n"
    )
    return venv_python(script, str(key), SELECTOR, FORWARDER, data=data, python=arc_python())


def hook(server, receiver, **fields):
    path = "/" + uuid.uuid4().hex[:12]
    address = f"{unique_local()}@{PUBLIC}"
    webhook = make_webhook(server.api, server.account, address, target_url=receiver.url(path), **fields)
    return address, webhook, path


def send(server, rcpts, data, sender="s@other.example"):
    """RCPT replies and the DATA reply (code, text)."""
    with smtplib.SMTP("127.0.0.1", server.server.smtp_port, timeout=30, local_hostname="client.example") as client:
        client.ehlo()
        assert client.mail(sender)[0] == 250
        replies = [client.rcpt(r) for r in rcpts]
        assert all(code == 250 for code, _ in replies), replies
        return client.data(data)


def auth_of(receiver, path):
    [request] = receiver.wait(path, 1)
    assert request["schema_errors"] == []
    return payload(request)["auth"]


def refusals(server, webhook):
    status, _, rows = server.api.get(f"/webhooks/{webhook['id']}/logs", token=server.account.access)
    assert status == 200, rows
    return [row["error"] for row in rows if (row["error"] or "").startswith("not delivered: ")]


def test_aligned_spf_passes(server, receiver):
    address, _, path = hook(server, receiver)
    code, reply = send(server, [address], message(PASS), sender=f"bounce@{PASS}")
    assert code == 250, reply
    auth = auth_of(receiver, path)
    assert auth["dmarc"] == {"result": "pass", "domain": PASS, "policy": "reject", "spf_aligned": True, "dkim_aligned": False}
    assert auth["arc"] == {"result": "none", "instances": 0}
    assert auth["results"] == (
        f"mx.conduit.test; spf=pass smtp.mailfrom=bounce@{PASS}; dkim=none; dmarc=pass header.from={PASS}; arc=none"
    )


def test_aligned_dkim_passes(server, receiver, rsa_key):
    key, _ = rsa_key
    address, _, path = hook(server, receiver)
    code, reply = send(server, [address], dkim_signed(key, message(SIGNED), SIGNED))
    assert code == 250, reply
    auth = auth_of(receiver, path)
    assert auth["dmarc"] == {"result": "pass", "domain": SIGNED, "policy": "reject", "spf_aligned": False, "dkim_aligned": True}
    assert f"; dkim=pass header.d={SIGNED} header.s={SELECTOR}; dmarc=pass header.from={SIGNED}; arc=none" in auth["results"]


def test_fail_and_none_are_delivered_without_enforcement(server, receiver):
    address, _, path = hook(server, receiver)
    assert send(server, [address], message(REJECT))[0] == 250
    auth = auth_of(receiver, path)
    assert auth["dmarc"] == {"result": "fail", "domain": REJECT, "policy": "reject", "spf_aligned": False, "dkim_aligned": False}
    assert auth["results"].startswith("mx.conduit.test; spf=none smtp.mailfrom=s@other.example; dkim=none; dmarc=fail")

    address, _, path = hook(server, receiver)
    assert send(server, [address], message(NOPOLICY))[0] == 250
    auth = auth_of(receiver, path)
    assert auth["dmarc"] == {"result": "none", "domain": NOPOLICY, "policy": "none", "spf_aligned": False, "dkim_aligned": False}


def test_reject_refuses_only_the_enforcing_webhooks_recipient(server, receiver):
    policy = make_policy(server.api, server.account, dmarc_enforcement="reject")
    enforced, enforced_hook, enforced_path = hook(server, receiver, smtp_security_policy_id=policy["id"])
    plain, _, plain_path = hook(server, receiver)

    code, reply = send(server, [enforced, plain], message(REJECT))
    assert code == 250, reply
    assert auth_of(receiver, plain_path)["dmarc"]["result"] == "fail"
    assert refusals(server, enforced_hook) == [f"not delivered: dmarc=fail policy=reject header.from={REJECT} arc=none"]

    # The only recipient: the message is refused.
    code, reply = send(server, [enforced], message(REJECT))
    assert code == 550 and reply.startswith(b"5.7.1"), reply
    assert b"dmarc=fail" in reply
    # A passing message reaches it; nothing was delivered to it before.
    assert send(server, [enforced], message(PASS), sender=f"bounce@{PASS}")[0] == 250
    [request] = receiver.wait(enforced_path, 1)
    assert payload(request)["auth"]["dmarc"]["result"] == "pass"


def test_quarantine_is_delivered_under_reject(server, receiver):
    policy = make_policy(server.api, server.account, dmarc_enforcement="reject")
    address, _, path = hook(server, receiver, smtp_security_policy_id=policy["id"])
    assert send(server, [address], message(QUARANTINE))[0] == 250
    assert auth_of(receiver, path)["dmarc"]["policy"] == "quarantine"


def test_temperror_defers_under_reject(server, receiver):
    policy = make_policy(server.api, server.account, dmarc_enforcement="reject")
    enforced, _, _ = hook(server, receiver, smtp_security_policy_id=policy["id"])
    code, reply = send(server, [enforced], message(TEMP))
    assert code == 451 and reply.startswith(b"4.7.5"), reply
    # Without enforcement the same message is delivered with the verdict.
    address, _, path = hook(server, receiver)
    assert send(server, [address], message(TEMP))[0] == 250
    assert auth_of(receiver, path)["dmarc"]["result"] == "temperror"


def test_a_passing_arc_chain_does_not_save_a_failing_dmarc(server, receiver, rsa_key):
    key, _ = rsa_key
    policy = make_policy(server.api, server.account, dmarc_enforcement="reject")
    enforced, enforced_hook, _ = hook(server, receiver, smtp_security_policy_id=policy["id"])
    plain, _, plain_path = hook(server, receiver)
    forwarded = arc_sealed(key, message(REJECT))
    code, reply = send(server, [enforced, plain], forwarded, sender=f"list@{FORWARDER}")
    assert code == 250, reply
    auth = auth_of(receiver, plain_path)
    assert auth["arc"] == {"result": "pass", "instances": 1}
    assert auth["dmarc"]["result"] == "fail"
    assert auth["results"].endswith(f"dmarc=fail header.from={REJECT}; arc=pass")
    assert refusals(server, enforced_hook) == [
        f"not delivered: dmarc=fail policy=reject header.from={REJECT} arc=pass arc.instances=1"
    ]


def test_switched_off_leaves_the_verdicts_null(dns, receiver):
    handle, cleanup = start(dns, "dmarc-off", smtp_settings="dmarc = false\n")
    try:
        policy = make_policy(handle.api, handle.account, dmarc_enforcement="reject")
        address, _, path = hook(handle, receiver, smtp_security_policy_id=policy["id"])
        assert send(handle, [address], message(REJECT))[0] == 250
        auth = auth_of(receiver, path)
        assert auth["dmarc"] == {"result": None, "domain": None, "policy": None, "spf_aligned": None, "dkim_aligned": None}
        assert auth["arc"] == {"result": None, "instances": None}
        assert auth["results"] == "mx.conduit.test; spf=none smtp.mailfrom=s@other.example; dkim=none"
    finally:
        cleanup()
