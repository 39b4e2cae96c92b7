"""The webhook payload's JSON Schema (docs/webhook-payload.schema.json,
prose in docs/PAYLOAD.md): the server serves exactly that file without auth,
every golden payload and every `conduit parse` output validates against it,
and so does every POST of a real delivery and of a simulation (the receiver
helper validates each default-payload body it gets)."""

import json
import smtplib
import urllib.request
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest

from conftest import REPO, run_cli
from dns_helpers import start_conduit
from identity_helpers import Client
from payload_schema import SCHEMA, SCHEMA_PATH, SCHEMA_TEXT, schema_errors
from smtp_helpers import PUBLIC, make_webhook, unique_local
from webhook_receiver import payload

GOLDEN = REPO / "Tests" / "ConduitMIMETests" / "Golden"
DELIVERY = """
[delivery]
allow_private_targets = true
timeout_ms = 3000
"""


@pytest.fixture(scope="module")
def server():
    handle, cleanup = start_conduit("schema", extra=DELIVERY, smtp_settings=f'public_domains = ["{PUBLIC}"]\n')
    handle.api = Client(handle.server.api_url)
    handle.account = handle.api.new_account()
    yield handle
    cleanup()


def path():
    return "/" + uuid.uuid4().hex[:12]


def parse(message: Path):
    result = run_cli("parse", "--compact", str(message))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# The goldens of the generated inputs (HostileInputTests) are summarized
# (long arrays and strings shortened), so they are not payloads; their
# inputs are rebuilt below and their `conduit parse` output is validated.
FULL_GOLDENS = sorted(p for p in GOLDEN.glob("*.json") if not p.name.startswith("generated-"))
MESSAGES = sorted(GOLDEN.glob("*.eml"))


def test_there_are_goldens_to_check():
    assert len(FULL_GOLDENS) >= 10 and len(MESSAGES) == len(FULL_GOLDENS)


@pytest.mark.parametrize("golden", FULL_GOLDENS, ids=lambda p: p.stem)
def test_golden_payload_validates(golden):
    assert schema_errors(json.loads(golden.read_text())) == []


@pytest.mark.parametrize("message", MESSAGES, ids=lambda p: p.stem)
def test_parse_output_validates(message):
    assert schema_errors(parse(message)) == []


# The inputs of Tests/ConduitMIMETests/HostileInputTests.swift, byte for byte.
GENERATED = {
    "deep-nesting": (
        "From: a@example.com\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
        + "".join(f"--b{level - 1}\r\nContent-Type: multipart/mixed; boundary=b{level}\r\n\r\n" for level in range(1, 10_001))
        + "--b10000\r\nContent-Type: text/plain\r\n\r\nbottom\r\n"
    ),
    "huge-header": "From: a@example.com\r\nX-Huge: " + "x" * (1 << 20) + "\r\nSubject: after the huge one\r\n\r\nbody\r\n",
    "many-parts": "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n" + "--p\r\n\r\n" * 5000 + "--p--\r\n",
    "many-headers": "".join(f"X-H{n}: v\r\n" for n in range(5000)) + "Subject: s\r\n\r\nbody\r\n",
}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_input_parse_output_validates(name, tmp_path):
    message = tmp_path / f"{name}.eml"
    message.write_bytes(GENERATED[name].encode())
    value = parse(message)
    assert schema_errors(value) == []
    # Same input as the summarized golden: the summary keeps the first items.
    golden = json.loads((GOLDEN / f"generated-{name}.json").read_text())
    assert value["size"] == golden["size"] and value["subject"] == golden["subject"]


def test_the_schema_is_not_vacuous():
    value = parse(GOLDEN / "multipart-alternative-attachment.eml")
    assert schema_errors(value) == []
    missing = dict(value)
    del missing["tag"]
    assert any("'tag' is a required property" in e for e in schema_errors(missing))
    extra = dict(value, surprise=1)
    assert any("surprise" in e for e in schema_errors(extra))
    wrong = dict(value, size="415")
    assert any(e.startswith("size:") for e in schema_errors(wrong))
    bad_envelope = dict(value, envelope=dict(value["envelope"], tls="yes"))
    assert any(e.startswith("envelope/tls:") for e in schema_errors(bad_envelope))
    bad_date = dict(value, received_at="yesterday")
    assert any(e.startswith("received_at:") for e in schema_errors(bad_date))


def test_the_receiver_fails_a_test_on_a_payload_that_does_not_validate(receiver):
    p = path()
    body = json.dumps({"webhook_id": "x", "envelope": {}}).encode()
    request = urllib.request.Request(receiver.url(p), data=body, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).read()
    with pytest.raises(AssertionError, match="does not match docs/webhook-payload.schema.json"):
        receiver.wait(p, 1)
    # A custom template's body (none of the default payload's keys) is not checked.
    q = path()
    request = urllib.request.Request(receiver.url(q), data=b'{"subject": "hi"}', headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).read()
    [got] = receiver.wait(q, 1)
    assert got["schema_errors"] == []


def test_served_schema_is_the_repository_file_without_auth(server):
    with urllib.request.urlopen(server.server.api_url + "/api/v1/webhook-payload.schema.json", timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/schema+json")
        text = response.read().decode()
    assert text.rstrip("\n") == SCHEMA_TEXT.rstrip("\n")
    assert json.loads(text) == SCHEMA
    assert SCHEMA_PATH.name == "webhook-payload.schema.json"


def test_the_openapi_document_lists_the_schema(server):
    with urllib.request.urlopen(server.server.api_url + "/api/v1/openapi.json", timeout=30) as response:
        document = json.loads(response.read())
    operation = document["paths"]["/api/v1/webhook-payload.schema.json"]["get"]
    assert operation["operationId"] == "getWebhookPayloadSchema" and "security" not in operation


def test_a_delivered_message_validates_with_every_field_filled(server, receiver):
    p = path()
    local = unique_local()
    make_webhook(server.api, server.account, f"{local}@{PUBLIC}", target_url=receiver.url(p))
    message = EmailMessage()
    message["From"] = "Alice Example <alice@example.org>"
    message["To"] = f"Bob <{local}+orders@{PUBLIC}>"
    message["Cc"] = "carol@example.org"
    message["Reply-To"] = "replies@example.org"
    message["Subject"] = "Grüße"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.org>"
    message["Date"] = "Sun, 06 Dec 2026 01:02:03 +0100"
    message.set_content("Hello Bob.\n\nOn Monday Carol wrote:\n> earlier\n")
    message.add_alternative("<p>Hello Bob.</p>", subtype="html")
    message.add_attachment(bytes(range(256)), maintype="application", subtype="octet-stream", filename="bytes.bin")
    with smtplib.SMTP("127.0.0.1", server.server.smtp_port, timeout=30) as client:
        client.ehlo("client.example")
        refused = client.send_message(message, from_addr="alice@example.org", to_addrs=[f"{local}+orders@{PUBLIC}"])
        assert refused == {}
    [request] = receiver.wait(p, 1)  # the receiver validates the body against the schema
    body = payload(request)
    assert request["schema_errors"] == []
    assert body["tag"] == "orders" and body["envelope"]["helo"] == "client.example"
    assert body["date"] == "2026-12-06T00:02:03Z"
    assert [a["filename"] for a in body["attachments"]] == ["bytes.bin"]
    # The verdicts depend on the machine's resolver; their shape does not.
    assert body["auth"]["dmarc"]["domain"] == "example.org" and body["auth"]["arc"] == {"result": "none", "instances": 0}
    assert body["auth"]["results"].startswith("mx.conduit.test; spf=") and "; dmarc=" in body["auth"]["results"]


def test_a_simulated_message_validates(server, receiver):
    p = path()
    webhook = make_webhook(server.api, server.account, f"{unique_local()}@{PUBLIC}", target_url=receiver.url(p))
    status, _, result = server.api.post(
        f"/webhooks/{webhook['id']}/simulate", {"from": "sim@example.net", "subject": "s", "text": "t"}, token=server.account.access
    )
    assert status == 200 and result["http_status"] == 200, result
    [request] = receiver.wait(p, 1)
    assert request["schema_errors"] == []
    assert payload(request)["envelope"]["remote_ip"] is None
