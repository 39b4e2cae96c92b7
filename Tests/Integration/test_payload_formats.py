"""The payload formats json_raw and raw (docs/DELIVERY.md, "Payload formats")
through the real binary to a real HTTP receiver: one SMTP message to a
json_raw and a raw webhook arrives as the bytes the spool stores (what
`conduit spool show` prints: Conduit's Received: header, then the bytes the
client sent), SHA-256 equal, in raw_base64 and as the raw body; the raw
POST's conduit-* headers are the percent-encoded envelope; signatures are
verified with the Standard Webhooks library (verify-webhook.py); a
multi-MiB message streams to both; simulate sends each format."""

import base64
import hashlib
import hmac
import os
import smtplib
import threading
import uuid
from urllib.parse import unquote

import pytest

from identity_helpers import account_server
from smtp_helpers import PUBLIC, make_webhook, queued_id, spool_show, unique_local
from webhook_receiver import payload, verify_signature

EXTRA = """
[delivery]
allow_private_targets = true
timeout_ms = 60000
retry_initial_ms = 500
retry_max_ms = 2000
"""


@pytest.fixture(scope="module")
def server():
    with account_server("formats", extra=EXTRA, map_size_mb=256, max_message_bytes=16777216,
                        smtp_extra=f'public_domains = ["{PUBLIC}"]') as running:
        yield running


def path():
    return "/" + uuid.uuid4().hex[:12]


def hook(server, receiver, payload_format, **fields):
    p = path()
    address = f"{unique_local()}@{PUBLIC}"
    webhook = make_webhook(server.api, server.account, address, target_url=receiver.url(p), payload_format=payload_format, **fields)
    assert webhook["payload_format"] == payload_format
    return p, address, webhook




def signature_of(secret, request):
    """The signature computed here, for bodies the library cannot take (not UTF-8)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    headers = request["headers"]
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + request["body"]
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def sha(data):
    return hashlib.sha256(data).hexdigest()


def split_received(stored, sent):
    """Checks `stored` is one Received: field followed by `sent`."""
    assert stored.endswith(sent)
    trace = stored[: len(stored) - len(sent)]
    assert trace.startswith(b"Received: from ") and trace.endswith(b"\r\n"), trace
    lines = trace[:-2].split(b"\r\n")
    assert all(line.startswith(b"\t") for line in lines[1:]), trace
    return trace


def test_one_message_to_json_raw_and_raw_carries_the_spooled_bytes(server, receiver):
    pj, address_j, webhook_j = hook(server, receiver, "json_raw")
    pr, address_r, webhook_r = hook(server, receiver, "raw", custom_headers={"X-Tenant": "acme"})
    # Hold the raw POST, so the message is still in the spool for `spool show`.
    gate = threading.Event()
    receiver.script(pr, (200, {}, gate))
    sender = "jösé+100%@exämple.org"
    local_r, domain = address_r.split("@")
    rcpt_r = f"{local_r}+tägs@{domain}"
    # 8-bit UTF-8 text, CRLF line ends, dot-stuffing on the wire.
    sent = (
        f"From: José <{sender}>\r\nTo: <{address_j}>, <{rcpt_r}>\r\nSubject: Grüße\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.org>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Ünïcödé line one\r\n.a line that starts with a dot\r\nend ✓\r\n"
    ).encode()
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
        client.ehlo("client.example")
        assert client.has_extn("smtputf8")
        code, reply = client.mail(sender, options=["SMTPUTF8", "BODY=8BITMIME"])
        assert code == 250, reply
        assert client.rcpt(address_j)[0] == 250
        code, reply = client.rcpt(rcpt_r)
        assert code == 250, reply
        code, reply = client.data(sent)
        assert code == 250, reply
    message_id = queued_id(reply)

    [json_raw] = receiver.wait(pj, 1)
    stored = spool_show(server.config, message_id)
    gate.set()
    [raw] = receiver.wait(pr, 1)

    # What the spool stores is one Received: field, then the bytes sent.
    trace = split_received(stored, sent)
    assert message_id.encode() in trace

    # json_raw: the JSON payload, raw_base64 last, decoding to the stored bytes.
    assert json_raw["schema_errors"] == []
    assert json_raw["headers"]["content-type"] == "application/json"
    body = payload(json_raw)
    assert list(body)[-1] == "raw_base64" and list(body)[-2] == "size"
    assert json_raw["body"].endswith(b'"raw_base64":"' + body["raw_base64"].encode() + b'"}')
    decoded = base64.b64decode(body["raw_base64"], validate=True)
    assert sha(decoded) == sha(stored) and body["size"] == len(stored)
    assert body["envelope"]["mail_from"] == sender and body["subject"] == "Grüße"
    assert not any(name.startswith("conduit-") for name in json_raw["headers"])
    result = verify_signature(webhook_j["secret"], json_raw)
    assert result.returncode == 0, result.stdout + result.stderr

    # raw: the stored bytes as the body, the envelope in headers.
    headers = raw["headers"]
    assert headers["content-type"] == "message/rfc822"
    assert int(headers["content-length"]) == len(raw["body"])
    assert sha(raw["body"]) == sha(stored)
    assert headers["x-tenant"] == "acme"
    for name in ("conduit-mail-from", "conduit-rcpt-to", "conduit-remote-ip", "conduit-spf"):
        assert all(0x21 <= ord(c) <= 0x7E for c in headers[name]), (name, headers[name])
    assert unquote(headers["conduit-mail-from"], errors="strict") == sender
    assert headers["conduit-mail-from"] == "j%C3%B6s%C3%A9+100%25@ex%C3%A4mple.org"
    assert unquote(headers["conduit-rcpt-to"], errors="strict") == rcpt_r
    assert headers["conduit-remote-ip"] == "127.0.0.1"
    assert headers["conduit-spf"] == "none"
    result = verify_signature(webhook_r["secret"], raw)
    assert result.returncode == 0, result.stdout + result.stderr
    tampered = dict(raw, body=raw["body"].replace("Grüße".encode(), "Grüsse".encode()))
    assert verify_signature(webhook_r["secret"], tampered).returncode == 1

    # The delivery log keeps the Message-ID for raw too.
    status, _, logs = server.api.get(f"/webhooks/{webhook_r['id']}/logs", token=server.account.access)
    assert status == 200 and logs[0]["smtp_message_id"] == body["message_id"], logs


def test_the_null_sender_is_an_empty_header(server, receiver):
    pr, address, webhook = hook(server, receiver, "raw")
    sent = f"From: <mailer-daemon@example.org>\r\nTo: <{address}>\r\nSubject: bounce\r\n\r\nReturned.\r\n".encode()
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
        client.ehlo("client.example")
        assert client.mail("")[0] == 250
        assert client.rcpt(address)[0] == 250
        assert client.data(sent)[0] == 250
    [raw] = receiver.wait(pr, 1)
    assert raw["headers"]["conduit-mail-from"] == ""
    assert raw["headers"]["conduit-rcpt-to"] == address
    split_received(raw["body"], sent)
    assert raw["headers"]["webhook-signature"] == signature_of(webhook["secret"], raw)


def test_a_multi_mebibyte_message_streams_in_both_formats(server, receiver):
    pj, address_j, webhook_j = hook(server, receiver, "json_raw")
    pr, address_r, webhook_r = hook(server, receiver, "raw")
    binary = os.urandom((5 << 20) + 1)
    sent = (
        f"From: <big@example.org>\r\nTo: <{address_j}>\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
        "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + base64.encodebytes(binary).replace(b"\n", b"\r\n")
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=120) as client:
        client.ehlo("client.example")
        assert client.sendmail("big@example.org", [address_j, address_r], sent) == {}
    [json_raw] = receiver.wait(pj, 1, timeout=120)
    [raw] = receiver.wait(pr, 1, timeout=120)
    assert json_raw["schema_errors"] == []
    body = payload(json_raw)
    decoded = base64.b64decode(body["raw_base64"], validate=True)
    assert sha(decoded) == sha(raw["body"])
    split_received(raw["body"], sent)
    assert body["size"] == len(raw["body"])
    # The message is one application/octet-stream part: the attachment.
    [attachment] = body["attachments"]
    assert sha(base64.b64decode(attachment["content_base64"], validate=True)) == sha(binary)
    # The raw body is not UTF-8: the signature is checked here, not by the library.
    assert raw["headers"]["webhook-signature"] == signature_of(webhook_r["secret"], raw)
    result = verify_signature(webhook_j["secret"], json_raw)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("payload_format", ["json", "json_raw", "raw"])
def test_simulate_sends_the_webhooks_format(server, receiver, payload_format):
    p, address, webhook = hook(server, receiver, payload_format)
    status, _, result = server.api.post(
        f"/webhooks/{webhook['id']}/simulate",
        {"from": "sim@example.net", "subject": "Grüße", "text": "simulated body"},
        token=server.account.access,
    )
    assert status == 200 and result["http_status"] == 200 and result["error"] is None, result
    [request] = receiver.wait(p, 1)
    result = verify_signature(webhook["secret"], request)
    assert result.returncode == 0, result.stdout + result.stderr
    headers = request["headers"]
    if payload_format == "raw":
        assert headers["content-type"] == "message/rfc822"
        assert headers["conduit-mail-from"] == "sim@example.net" and headers["conduit-rcpt-to"] == address
        assert headers["conduit-remote-ip"] == "" and headers["conduit-spf"] == "none"
        assert request["body"].startswith(b"From: <sim@example.net>\r\n") and b"\r\n\r\nsimulated body" in request["body"]
        return
    assert headers["content-type"] == "application/json" and "conduit-spf" not in headers
    assert request["schema_errors"] == []
    body = payload(request)
    assert body["subject"] == "Grüße"
    if payload_format == "json":
        assert "raw_base64" not in body
    else:
        raw = base64.b64decode(body["raw_base64"], validate=True)
        assert raw.startswith(b"From: <sim@example.net>\r\n") and len(raw) == body["size"]
