"""The storage reserve (`[storage] reserve_mb`, Postfix's `queue_minfree`,
issue 14 item 8) against the real binary: with an 8 MiB map and a 4 MiB
reserve, mail to a webhook that answers 503 stays in the spool until a
message would leave less than the reserve free; from then on MAIL FROM with
the message's `SIZE=` gets 452 4.3.1 although the store still has room (a
message sent without SIZE gets it at the end of DATA). That room is for delivery: once the webhook answers 200 the
spooled messages are delivered, their log rows recorded and the spool drains,
after which mail is accepted again."""

import smtplib
import time
import uuid

import pytest

from conftest import RunningConduit, write_config
from identity_helpers import Client, ServerHandle
from smtp_helpers import PUBLIC, make_webhook, spool_json, unique_local, wait_for
from webhook_receiver import Receiver

import tempfile
from pathlib import Path

MESSAGE_BYTES = 400 * 1024
SETTINGS = """
[delivery]
allow_private_targets = true
timeout_ms = 3000
retry_initial_ms = 200
retry_max_ms = 500
# The spool drains as mail is delivered: nothing kept for redelivery.
keep_delivered_hours = 0
"""


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def server():
    tmp = tempfile.TemporaryDirectory(prefix="conduit-headroom-")
    directory = Path(tmp.name)
    config = write_config(directory, extra=SETTINGS)
    text = config.read_text()
    assert "map_size_mb = 64\n" in text
    text = text.replace("map_size_mb = 64\n", "map_size_mb = 8\nreserve_mb = 4\n", 1)
    text = text.replace("[smtp]\n", f'[smtp]\npublic_domains = ["{PUBLIC}"]\n', 1)
    config.write_text(text)
    try:
        handle = ServerHandle(RunningConduit(config, directory / "serve.log"), directory)
        handle.api = Client(handle.server.api_url)
        yield handle
        handle.server.stop()
    finally:
        tmp.cleanup()


def message():
    head = f"From: <alice@example.org>\r\nSubject: headroom\r\nMessage-ID: <{uuid.uuid4().hex}@example.org>\r\n\r\n"
    line = "y" * 998 + "\r\n"
    return (head + line * (MESSAGE_BYTES // len(line))).encode()


def send(server, rcpt, declare_size=True):
    """(MAIL FROM reply, DATA reply or None). With `declare_size` MAIL FROM
    carries SIZE= (RFC 1870), which the reserve check counts."""
    body = message()
    with smtplib.SMTP("127.0.0.1", server.server.smtp_port, timeout=30) as client:
        client.ehlo("client.example")
        mail = client.mail("alice@example.org", options=[f"SIZE={len(body)}"] if declare_size else [])
        if mail[0] != 250:
            return mail, None
        code, reply = client.rcpt(rcpt)
        assert code == 250, reply
        return mail, client.data(body)


def test_below_the_reserve_mail_waits_while_the_spool_drains(server, receiver):
    account = server.api.new_account()
    path = "/" + uuid.uuid4().hex[:12]
    receiver.script(path, default=503)
    address = f"{unique_local()}@{PUBLIC}"
    webhook = make_webhook(server.api, account, address, target_url=receiver.url(path))

    # Fill the map: each message stays spooled (503). Every message must
    # leave the reserve free, and an accepted one is taken off the cached
    # free-room figures at once, so the map never goes below the reserve:
    # MAIL FROM (with SIZE) refuses the message that would take it there.
    accepted, refused_at_mail = 0, None
    for _ in range(40):
        mail, data = send(server, address)
        if data is None:
            refused_at_mail = mail
            break
        if data[0] == 250:
            accepted += 1
        else:
            assert data[0] == 452 and b"4.3.1" in data[1], data
        time.sleep(1.1)
    assert refused_at_mail is not None, "MAIL FROM was never refused"
    assert refused_at_mail[0] == 452 and b"4.3.1" in refused_at_mail[1], refused_at_mail
    assert accepted >= 3, accepted
    assert len(spool_json(server.server.config)) == accepted
    assert "new mail refused: storage below the reserve" in server.server.log()
    # Without SIZE the client learns it at the end of DATA.
    mail, data = send(server, address, declare_size=False)
    assert mail[0] == 250 and data is not None and data[0] == 452 and b"4.3.1" in data[1], (mail, data)

    # The reserve is room for delivery: the webhook recovers, every spooled
    # message is delivered and its outcome recorded, and the spool drains.
    receiver.script(path, default=200)
    wait_for(lambda: spool_json(server.server.config) == [], timeout=60, interval=0.5)

    def delivered_rows():
        status, _, rows = server.api.get(f"/webhooks/{webhook['id']}/logs?page_size=100", token=account.access)
        assert status == 200, rows
        ok = [r for r in rows if r.get("http_status") == 200]
        return ok if len(ok) >= accepted else None

    assert len(wait_for(delivered_rows, timeout=30, interval=0.5)) == accepted

    # With the spool drained the map has room again: mail is accepted.
    time.sleep(1.1)
    mail, data = send(server, address)
    assert mail[0] == 250, mail
    assert data is not None and data[0] == 250, data
