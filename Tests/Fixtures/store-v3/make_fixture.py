#!/usr/bin/env python3
"""Writes Tests/Fixtures/store-v3: a store of schema version 3 (every record
JSON, format byte 1) made by a Conduit binary of that version, and
manifest.json, what the migration tests expect to find in it.

Usage: python3 Tests/Fixtures/store-v3/make_fixture.py /path/to/v3/conduit

Run once; the output is committed. Re-running it with a build of schema
version 4 or later would write the new format and make the fixture useless.
"""

import json
import shutil
import smtplib
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "Integration"))

import os  # noqa: E402

os.environ["CONDUIT_BIN"] = sys.argv[1] if len(sys.argv) > 1 else "/tmp/conduit-v3"

from conftest import RunningConduit  # noqa: E402
from identity_helpers import Client, enable_2fa  # noqa: E402
from smtp_helpers import PUBLIC  # noqa: E402
from webhook_receiver import Receiver  # noqa: E402

# Nothing listens here while the fixture is made, so deliveries to it stay
# pending; the migration test listens here and sees them delivered.
PENDING_PORT = 29417


def config_text(data: Path) -> str:
    return f"""
[storage]
path = "{data}"
map_size_mb = 8
reserve_mb = 0

[api]
listen = "127.0.0.1:0"

[smtp]
listen = "127.0.0.1:0"
hostname = "mx.conduit.test"
public_domains = ["{PUBLIC}"]

[delivery]
allow_private_targets = true
retry_initial_ms = 30000
retry_max_ms = 30000

[log]
level = "debug"
"""


def send(port, rcpts, subject):
    message = (
        f"From: Alice <alice@example.org>\r\nTo: {', '.join(rcpts)}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.org>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nFixture mail: {subject}\r\n"
    ).encode()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("client.example")
        client.mail("alice@example.org")
        for rcpt in rcpts:
            code, reply = client.rcpt(rcpt)
            assert code == 250, reply
        code, reply = client.data(message)
        assert code == 250, reply
        return reply.decode().split()[-1]


def main():
    receiver = Receiver()
    receiver.script("/ok", default=200)
    receiver.script("/fail", default=400)
    with tempfile.TemporaryDirectory(prefix="conduit-fixture-") as tmp:
        directory = Path(tmp)
        config = directory / "conduit.toml"
        config.write_text(config_text(directory / "data"))
        server = RunningConduit(config, directory / "serve.log")
        try:
            api = Client(server.api_url)
            alice = api.new_account()
            bob = api.new_account()
            enable_2fa(api, alice)
            status, _, token = api.post("/accounts/me/api-tokens", {"name": "fixture ✓", "allowed_ips": ["127.0.0.0/8"]}, token=alice.access)
            assert status == 201, token
            status, _, _ = api.sign_in(bob.email, "not-the-password")
            assert status == 401
            # A sign-in waiting for its TOTP code: a `login_challenges` row.
            status, _, challenge = api.sign_in(alice.email, alice.password)
            assert status == 200 and challenge.get("totp_required") is True, challenge
            status, _, domain = api.post("/domains", {"name": "fixture-v3.example"}, token=alice.access)
            assert status == 201, domain
            status, _, policy = api.post("/smtp-policies", {
                "name": "relay ünïcode", "allowed_source_ips": "127.0.0.0/8",
                "smtp_credentials": "fixture-relay:relay-password-1",
            }, token=alice.access)
            assert status == 201, policy

            def webhook(account, local, url, **fields):
                body = {"address": f"{local}@{PUBLIC}", "target_url": url, **fields}
                status, _, hook = api.post("/webhooks", body, token=account.access)
                assert status == 201, hook
                return hook

            delivered = webhook(alice, "delivered", receiver.url("/ok"), custom_headers={"X-Tenant": "acme", "X-Note": "ünïcode ✓"},
                                smtp_security_policy_id=policy["id"])
            pending = webhook(alice, "pending", f"http://127.0.0.1:{PENDING_PORT}/pending")
            failed = webhook(alice, "failed", receiver.url("/fail"), payload_template='{"subject": {{subject_json}}}')
            bobs = webhook(bob, "bob", receiver.url("/ok"))

            both = send(server.smtp_port, [f"delivered+orders@{PUBLIC}", f"pending@{PUBLIC}"], "to two webhooks")
            only_pending = send(server.smtp_port, [f"pending@{PUBLIC}"], "pending only")
            to_failed = send(server.smtp_port, [f"failed@{PUBLIC}"], "refused")
            to_bob = send(server.smtp_port, [f"bob@{PUBLIC}"], "for bob")
            receiver.wait("/ok", 2)
            receiver.wait("/fail", 1)

            def log_count(account, hook, want):
                deadline = time.monotonic() + 30
                while True:
                    status, _, body = api.get(f"/webhooks/{hook['id']}/logs", token=account.access)
                    assert status == 200, body
                    if len(body) >= want or time.monotonic() > deadline:
                        return len(body)
                    time.sleep(0.1)

            counts = {
                "delivered": log_count(alice, delivered, 1), "pending": log_count(alice, pending, 2),
                "failed": log_count(alice, failed, 1), "bob": log_count(bob, bobs, 1),
            }
            assert counts == {"delivered": 1, "pending": 2, "failed": 1, "bob": 1}, counts
        finally:
            assert server.stop() == 0
            receiver.close()

        target = HERE / "data"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        shutil.copy(directory / "data" / "data.mdb", target / "data.mdb")

    manifest = {
        "pending_port": PENDING_PORT,
        "public_domain": PUBLIC,
        "alice": {"email": alice.email, "password": alice.password, "id": alice.id,
                  "totp_secret": alice.totp.secret, "api_token": token["token"]},
        "bob": {"email": bob.email, "password": bob.password, "id": bob.id},
        "domain": domain["id"],
        "policy": policy["id"],
        "webhooks": {"delivered": delivered["id"], "pending": pending["id"], "failed": failed["id"], "bob": bobs["id"]},
        "messages": {"both": both, "only_pending": only_pending, "to_failed": to_failed, "to_bob": to_bob},
        "log_counts": counts,
    }
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
