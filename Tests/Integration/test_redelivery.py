"""Redelivery (issue 16) against the real binary and a real HTTP receiver:
a delivered message is kept (delivery.keep_delivered_hours) and replayed
from its log row with a new webhook-id, the conduit-redelivery-of header and
the payload's redelivery_of; failed (400) and dead (retries past
max_age_hours) mail replayed in bulk, with the status, since and until
filters; 404 for another account's row, 410 once the body is gone
(keep_delivered_hours = 0), 409 for an inactive webhook, 422 for bad input.
The 10,000-message limit of a bulk call is unit-tested
(RedeliveryServiceTests): spooling 10,001 messages over SMTP here would
take minutes."""

import datetime
import smtplib
import time
import uuid

import pytest

from dns_helpers import start_conduit
from identity_helpers import Client, assert_error
from smtp_helpers import PUBLIC, make_webhook, queued_id, spooled, unique_local, wait_for
from webhook_receiver import payload

# A first retry is at least 12 h away (half of retry_initial_ms, fixed),
# past max_age_hours = 1: a 503 makes a delivery dead at once.
DELIVERY = """
[delivery]
allow_private_targets = true
timeout_ms = 3000
max_age_hours = 1
retry_initial_ms = 86400000
retry_max_ms = 86400000
"""


def start(prefix, extra=""):
    handle, cleanup = start_conduit(prefix, extra=DELIVERY + extra, smtp_settings=f'public_domains = ["{PUBLIC}"]\n')
    handle.api = Client(handle.server.api_url)
    handle.account = handle.api.new_account()
    return handle, cleanup


@pytest.fixture(scope="module")
def server():
    handle, cleanup = start("redeliver")
    yield handle
    cleanup()


def path():
    return "/" + uuid.uuid4().hex[:12]


def hook(server, url, account=None):
    address = f"{unique_local()}@{PUBLIC}"
    return address, make_webhook(server.api, account or server.account, address, target_url=url)


def send_one(server, rcpt, subject="Hello"):
    message = (
        f"From: <alice@example.org>\r\nTo: <{rcpt}>\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.org>\r\n\r\nHi.\r\n"
    ).encode()
    with smtplib.SMTP("127.0.0.1", server.server.smtp_port, timeout=30) as client:
        client.ehlo("client.example")
        client.mail("alice@example.org")
        code, reply = client.rcpt(rcpt)
        assert code == 250, reply
        code, reply = client.data(message)
        assert code == 250, reply
        return queued_id(reply)


def logs(server, webhook, account=None):
    status, _, body = server.api.get(f"/webhooks/{webhook['id']}/logs?page_size=100", token=(account or server.account).access)
    assert status == 200, body
    return body


def rows_with(server, webhook, count):
    return wait_for(lambda: (lambda r: r if len(r) >= count else None)(logs(server, webhook)), timeout=30)


def redeliver_one(server, webhook, row, account=None):
    return server.api.post(f"/webhooks/{webhook['id']}/logs/{row['id']}/redeliver", token=(account or server.account).access)


def redeliver(server, webhook, body=None, account=None):
    if body is None:
        return server.api.post(f"/webhooks/{webhook['id']}/redeliver", token=(account or server.account).access)
    return server.api.post(f"/webhooks/{webhook['id']}/redeliver", body, token=(account or server.account).access)


def rfc3339(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_a_delivered_message_is_kept_and_redelivered_from_its_log_row(server, receiver):
    p = path()
    address, webhook = hook(server, receiver.url(p))
    message_id = send_one(server, address)
    [first] = receiver.wait(p, 1)
    original_id = first["headers"]["webhook-id"]
    assert payload(first)["redelivery_of"] is None
    assert "conduit-redelivery-of" not in first["headers"]
    [row] = rows_with(server, webhook, 1)
    # Kept, not removed: the body is there to replay.
    entry = wait_for(lambda: spooled(server.server.config, message_id))
    assert [d["state"] for d in entry["deliveries"]] == ["delivered"], entry

    status, _, body = redeliver_one(server, webhook, row)
    assert status == 202, body
    assert body["redelivery_of"] == original_id
    assert body["delivery_id"] != original_id
    second = receiver.wait(p, 2)[1]
    assert second["headers"]["webhook-id"] == body["delivery_id"]
    assert second["headers"]["conduit-redelivery-of"] == original_id
    replay = payload(second)
    assert replay["redelivery_of"] == original_id
    assert replay["id"] == message_id and replay["subject"] == "Hello"
    # Its attempt is a log row like any other, and the message is still kept.
    rows = rows_with(server, webhook, 2)
    assert rows[0]["http_status"] == 200 and rows[0]["id"] != row["id"]
    entry = wait_for(lambda: (lambda e: e if e and len(e["deliveries"]) == 2 and all(
        d["state"] == "delivered" for d in e["deliveries"]) else None)(spooled(server.server.config, message_id)))
    assert entry is not None


def test_a_raw_format_redelivery_carries_the_header(server, receiver):
    p = path()
    address = f"{unique_local()}@{PUBLIC}"
    webhook = make_webhook(server.api, server.account, address, target_url=receiver.url(p), payload_format="raw")
    send_one(server, address, subject="raw")
    [first] = receiver.wait(p, 1)
    assert first["headers"]["content-type"] == "message/rfc822"
    assert "conduit-redelivery-of" not in first["headers"]
    [row] = rows_with(server, webhook, 1)
    status, _, body = redeliver_one(server, webhook, row)
    assert status == 202, body
    second = receiver.wait(p, 2)[1]
    assert second["headers"]["conduit-redelivery-of"] == first["headers"]["webhook-id"] == body["redelivery_of"]
    assert second["headers"]["webhook-id"] == body["delivery_id"]
    assert second["body"] == first["body"]


def test_failed_and_dead_mail_redelivered_in_bulk(server, receiver):
    failing, dying = path(), path()
    receiver.script(failing, default=400)
    receiver.script(dying, default=503)
    failing_address, failing_hook = hook(server, receiver.url(failing))
    dying_address, dying_hook = hook(server, receiver.url(dying))
    for n in range(2):
        send_one(server, failing_address, subject=f"failed-{n}")
    send_one(server, dying_address, subject="dead")
    receiver.wait(failing, 2)
    receiver.wait(dying, 1)
    assert all(r["http_status"] == 400 for r in rows_with(server, failing_hook, 2))
    [dead_row] = rows_with(server, dying_hook, 1)
    assert "giving up after 1 attempts" in dead_row["error"], dead_row

    # Nothing dead on the failing webhook, nothing failed on the dying one.
    assert redeliver(server, failing_hook, {"status": "dead"})[2] == {"count": 0}
    assert redeliver(server, dying_hook)[2] == {"count": 0}

    receiver.script(failing, default=200)
    receiver.script(dying, default=200)
    status, _, body = redeliver(server, failing_hook)  # default status: failed
    assert status == 202 and body == {"count": 2}, body
    replays = receiver.wait(failing, 4)[2:]
    originals = {r["headers"]["webhook-id"] for r in receiver.received(failing)[:2]}
    assert {r["headers"]["conduit-redelivery-of"] for r in replays} == originals
    assert {payload(r)["redelivery_of"] for r in replays} == originals
    assert {payload(r)["subject"] for r in replays} == {"failed-0", "failed-1"}

    status, _, body = redeliver(server, dying_hook, {"status": "dead"})
    assert status == 202 and body == {"count": 1}, body
    [replay] = receiver.wait(dying, 2)[1:]
    assert payload(replay)["subject"] == "dead"
    assert replay["headers"]["conduit-redelivery-of"] == receiver.received(dying)[0]["headers"]["webhook-id"]

    # Judged by each message's latest delivery: once the replays are
    # delivered, nothing is failed any more, and `delivered` finds them.
    rows_with(server, failing_hook, 4)
    assert redeliver(server, failing_hook)[2] == {"count": 0}
    status, _, body = redeliver(server, failing_hook, {"status": "delivered"})
    assert status == 202 and body == {"count": 2}, body
    receiver.wait(failing, 6)
    rows_with(server, failing_hook, 6)
    assert redeliver(server, failing_hook, {"status": "any"})[2] == {"count": 2}
    receiver.wait(failing, 8)


def test_since_and_until_bound_received_at(server, receiver):
    p = path()
    receiver.script(p, default=400)
    address, webhook = hook(server, receiver.url(p))
    before = datetime.datetime.now(datetime.timezone.utc)
    time.sleep(0.05)
    send_one(server, address, subject="early")
    time.sleep(1.1)
    between = datetime.datetime.now(datetime.timezone.utc)
    time.sleep(0.05)
    send_one(server, address, subject="late")
    rows_with(server, webhook, 2)
    receiver.script(p, default=200)

    assert redeliver(server, webhook, {"until": rfc3339(before)})[2] == {"count": 0}
    status, _, body = redeliver(server, webhook, {"since": rfc3339(between), "until": None})
    assert status == 202 and body == {"count": 1}, body
    [replay] = receiver.wait(p, 3)[2:]
    assert payload(replay)["subject"] == "late"
    status, _, body = redeliver(server, webhook, {"since": rfc3339(before), "until": rfc3339(between), "status": "failed"})
    assert status == 202 and body == {"count": 1}, body
    [replay] = receiver.wait(p, 4)[3:]
    assert payload(replay)["subject"] == "early"


def test_another_accounts_rows_and_unknown_rows_are_404(server, receiver):
    p = path()
    address, webhook = hook(server, receiver.url(p))
    send_one(server, address)
    [row] = rows_with(server, webhook, 1)
    other = server.api.new_account()
    _, other_hook = hook(server, receiver.url(path()), account=other)
    assert_error(redeliver_one(server, webhook, row, account=other), 404, "not_found")
    assert_error(redeliver_one(server, other_hook, row, account=other), 404, "not_found")
    assert_error(redeliver(server, webhook, account=other), 404, "not_found")
    assert_error(redeliver_one(server, webhook, {"id": "01" + "0" * 24}), 404, "not_found")
    assert_error(redeliver_one(server, {"id": "nope"}, row), 404, "not_found")
    status, _, _ = server.api.post(f"/webhooks/{webhook['id']}/logs/{row['id']}/redeliver")
    assert status == 401


def test_bad_input_is_422_and_an_inactive_webhook_409(server, receiver):
    p = path()
    receiver.script(p, default=400)
    address, webhook = hook(server, receiver.url(p))
    send_one(server, address)
    [row] = rows_with(server, webhook, 1)
    assert_error(redeliver(server, webhook, {"status": "pending"}), 422, "invalid_status")
    assert_error(redeliver(server, webhook, {"status": 3}), 422, "invalid_request")
    assert_error(redeliver(server, webhook, {"since": "yesterday"}), 422, "invalid_since")
    assert_error(redeliver(server, webhook, {"until": "2026-13-01T00:00:00Z"}), 422, "invalid_until")
    assert_error(redeliver(server, webhook, {"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"}), 422, "invalid_range")
    status, _, body = server.api.post(f"/webhooks/{webhook['id']}/simulate", {}, token=server.account.access)
    assert status == 200, body
    simulated = next(r for r in rows_with(server, webhook, 2) if r["simulated"])
    assert_error(redeliver_one(server, webhook, simulated), 422, "not_redeliverable")

    status, _, body = server.api.put(f"/webhooks/{webhook['id']}", {"active": False}, token=server.account.access)
    assert status == 200, body
    assert_error(redeliver_one(server, webhook, row), 409, "webhook_inactive")
    assert_error(redeliver(server, webhook), 409, "webhook_inactive")


def test_a_message_no_longer_kept_is_410(receiver):
    handle, cleanup = start("redeliver-gone", extra="keep_delivered_hours = 0\n")
    try:
        p = path()
        address, webhook = hook(handle, receiver.url(p))
        message_id = send_one(handle, address)
        receiver.wait(p, 1)
        [row] = rows_with(handle, webhook, 1)
        assert wait_for(lambda: spooled(handle.server.config, message_id) is None)
        assert_error(redeliver_one(handle, webhook, row), 410, "message_expired")
        assert redeliver(handle, webhook, {"status": "delivered"})[2] == {"count": 0}
    finally:
        cleanup()
