"""A large message through the real binary to a real HTTP receiver: the
default payload is streamed from the spool (docs/DELIVERY.md, "Memory"), and
what arrives is exactly the payload — every attachment's base64 decodes to
the bytes that were sent (SHA-256 equal), the POST validates against
docs/webhook-payload.schema.json (the receiver checks every default body),
and its Standard Webhooks signature is right for the streamed bytes."""

import base64
import hashlib
import hmac
import os
import smtplib
import uuid
from email.message import EmailMessage

import pytest

from identity_helpers import account_server
from smtp_helpers import PUBLIC, make_webhook, unique_local
from webhook_receiver import payload

EXTRA = """
[delivery]
allow_private_targets = true
timeout_ms = 120000
"""


@pytest.fixture(scope="module")
def server():
    with account_server("stream", extra=EXTRA, map_size_mb=512, max_message_bytes=33554432,
                        smtp_extra=f'public_domains = ["{PUBLIC}"]') as running:
        yield running


def test_a_20_mib_message_arrives_byte_for_byte(server, receiver):
    path = "/" + uuid.uuid4().hex[:12]
    local = unique_local()
    webhook = make_webhook(server.api, server.account, f"{local}@{PUBLIC}", target_url=receiver.url(path))
    attachments = {
        "one.bin": os.urandom(6 << 20),
        "two.bin": os.urandom(5 << 20),
        "three.pdf": os.urandom(3 << 20),
        "four.bin": os.urandom((1 << 20) + 123),
        "empty.bin": b"",
    }
    message = EmailMessage()
    message["From"] = "big@example.org"
    message["To"] = f"{local}@{PUBLIC}"
    message["Subject"] = "twenty mebibytes"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.org>"
    message.set_content("See the attachments.\n")
    for name, content in attachments.items():
        maintype, subtype = ("application", "pdf") if name.endswith(".pdf") else ("application", "octet-stream")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    raw = message.as_bytes()
    assert len(raw) >= 20 << 20
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=120) as client:
        client.ehlo("client.example")
        assert client.send_message(message, from_addr="big@example.org", to_addrs=[f"{local}@{PUBLIC}"]) == {}
    [request] = receiver.wait(path, 1, timeout=300)
    assert request["schema_errors"] == []
    assert int(request["headers"]["content-length"]) == len(request["body"])
    body = payload(request)
    # On the wire every line ends in CRLF and a Received: field is added.
    assert body["size"] >= len(raw) + raw.count(b"\n")
    got = {a["filename"]: a for a in body["attachments"]}
    assert sorted(got) == sorted(attachments)
    for name, content in attachments.items():
        decoded = base64.b64decode(got[name]["content_base64"], validate=True)
        assert got[name]["size"] == len(content)
        assert hashlib.sha256(decoded).hexdigest() == hashlib.sha256(content).hexdigest(), name
    # The signature was computed in a pass before the body went out: it must
    # match the bytes that arrived.
    key = base64.b64decode(webhook["secret"].removeprefix("whsec_"))
    headers = request["headers"]
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + request["body"]
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == "v1," + expected
