"""A store written by the schema-3 build (Tests/Fixtures/store-v3, every
record JSON) opened by this build: the schema-4 migration rewrites every
record in the binary format, and afterwards the accounts sign in (password,
TOTP, API token), the webhooks, policy, domain and logs are listed, the
deliveries left pending are delivered to a real HTTP receiver, new mail
flows, and a restart opens the migrated store as it is."""

import json
import shutil
import smtplib
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import REPO, RunningConduit, conduit_binary
from identity_helpers import TOTP, Client
from webhook_receiver import Receiver, payload

FIXTURE = REPO / "Tests" / "Fixtures" / "store-v3"
MANIFEST = json.loads((FIXTURE / "manifest.json").read_text())


def config_text(data: Path) -> str:
    return f"""
[storage]
path = "{data}"
map_size_mb = 64

[api]
listen = "127.0.0.1:0"

[smtp]
listen = "127.0.0.1:0"
hostname = "mx.conduit.test"
public_domains = ["{MANIFEST['public_domain']}"]

[delivery]
allow_private_targets = true
retry_initial_ms = 500
retry_max_ms = 2000

[log]
level = "debug"
"""


@pytest.fixture
def migrated(workdir):
    """A copy of the fixture (never the committed file: LMDB migrates in place)."""
    data = workdir / "data"
    data.mkdir()
    shutil.copy(FIXTURE / "data" / "data.mdb", data / "data.mdb")
    config = workdir / "conduit.toml"
    config.write_text(config_text(data))
    return config


def schema_version(data: Path) -> str:
    dump = subprocess.run(["mdb_dump", "-p", "-s", "meta", str(data)], capture_output=True, text=True, timeout=30)
    assert dump.returncode == 0, dump.stderr
    lines = dump.stdout.splitlines()
    return lines[lines.index(" schema_version") + 1].strip()


def logs(api, token, webhook_id):
    status, _, body = api.get(f"/webhooks/{webhook_id}/logs", token=token)
    assert status == 200, body
    return body


def test_a_schema_3_store_migrates_and_keeps_working(migrated, workdir):
    if shutil.which("mdb_dump"):
        assert schema_version(workdir / "data") == "3"
    receiver = Receiver(port=MANIFEST["pending_port"])
    receiver.script("/pending", default=200)
    server = RunningConduit(migrated, workdir / "serve.log")
    try:
        if shutil.which("mdb_dump"):
            assert schema_version(workdir / "data") == "6"
        api = Client(server.api_url)
        alice, bob = MANIFEST["alice"], MANIFEST["bob"]

        # The two deliveries left pending by the old build arrive, signed for their messages.
        arrived = receiver.wait("/pending", 2, timeout=60)
        assert {payload(r)["id"] for r in arrived} == {MANIFEST["messages"]["both"], MANIFEST["messages"]["only_pending"]}

        # Sign-in with password and TOTP; the API token; bob's password.
        status, _, challenge = api.sign_in(alice["email"], alice["password"])
        assert status == 200 and challenge.get("totp_required") is True, challenge
        code = TOTP(alice["totp_secret"]).fresh()
        status, _, session = api.post("/sessions/2fa", {"totp_token": challenge["totp_token"], "code": code})
        assert status == 200, session
        token = session["access_token"]
        status, _, me = api.me(alice["api_token"])
        assert status == 200 and me["email"] == alice["email"], me
        status, _, bob_session = api.sign_in(bob["email"], bob["password"])
        assert status == 200, bob_session

        # Webhooks, policy, domain, logs.
        status, _, hooks = api.get("/webhooks", token=token)
        assert status == 200, hooks
        hooks = hooks if isinstance(hooks, list) else hooks["data"]
        by_id = {h["id"]: h for h in hooks}
        ids = MANIFEST["webhooks"]
        assert set(by_id) == {ids["delivered"], ids["pending"], ids["failed"]}
        assert by_id[ids["delivered"]]["custom_headers"] == {"X-Tenant": "acme", "X-Note": "ünïcode ✓"}
        assert by_id[ids["delivered"]]["smtp_security_policy_id"] == MANIFEST["policy"]
        assert by_id[ids["failed"]]["payload_template"] == '{"subject": {{subject_json}}}'
        status, _, policies = api.get("/smtp-policies", token=token)
        assert status == 200, policies
        policies = policies if isinstance(policies, list) else policies["data"]
        assert [p["id"] for p in policies] == [MANIFEST["policy"]]
        assert "fixture-relay" in json.dumps(policies)
        status, _, domains = api.get("/domains", token=token)
        assert status == 200, domains
        assert MANIFEST["domain"] in json.dumps(domains)
        for name in ("delivered", "failed"):
            assert len(logs(api, token, ids[name])) == MANIFEST["log_counts"][name]
        pending_logs = logs(api, token, ids["pending"])
        assert len(pending_logs) == MANIFEST["log_counts"]["pending"] + 2
        assert pending_logs[0]["http_status"] == 200
        assert len(logs(api, bob_session["access_token"], ids["bob"])) == MANIFEST["log_counts"]["bob"]

        # New mail is spooled and delivered in the new format.
        message = (f"From: <a@example.org>\r\nTo: <pending@{MANIFEST['public_domain']}>\r\nSubject: after\r\n"
                   f"Message-ID: <{uuid.uuid4().hex}@example.org>\r\n\r\nafter the migration\r\n").encode()
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
            client.sendmail("a@example.org", [f"pending@{MANIFEST['public_domain']}"], message)
        receiver.wait("/pending", 3, timeout=30)
    finally:
        assert server.stop() == 0
        receiver.close()

    # A restart opens the migrated store with no migration left to run.
    server = RunningConduit(migrated, workdir / "serve.log")
    try:
        api = Client(server.api_url)
        status, _, me = api.me(MANIFEST["alice"]["api_token"])
        assert status == 200, me
        status, _, hooks = api.get("/webhooks", token=MANIFEST["alice"]["api_token"])
        assert status == 200 and len(hooks if isinstance(hooks, list) else hooks["data"]) == 3
    finally:
        assert server.stop() == 0
