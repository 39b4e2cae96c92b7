"""Issue 12 (safe to expose), delivery items, against the real binary and a
real local HTTP receiver: a far delivery-log page answers at once (item 11),
the inline first attempt answers 250 while a rate-limited sibling delivery is
still pending (item 13), and a delivery whose outcome the full store cannot
hold is not POSTed again at every lease end (item 15)."""

import smtplib
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import RunningConduit, write_config
from identity_helpers import Client, ServerHandle
from smtp_helpers import PUBLIC, make_webhook, queued_id, spooled, unique_local, wait_for
from webhook_receiver import Receiver

DELIVERY = """
[delivery]
allow_private_targets = true
timeout_ms = 3000
retry_initial_ms = 500
retry_max_ms = 2000
"""


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def start(prefix, tmp_path, delivery=DELIVERY, map_size_mb=64, reserve_mb=None):
    config = write_config(tmp_path, extra=delivery, map_size_mb=map_size_mb,
                          storage_extra=f"reserve_mb = {reserve_mb}" if reserve_mb is not None else "",
                          smtp_extra=f'public_domains = ["{PUBLIC}"]')
    handle = ServerHandle(RunningConduit(config, tmp_path / "serve.log"), tmp_path)
    handle.api = Client(handle.server.api_url)
    handle.account = handle.api.new_account()
    return handle


def hook(handle, url, **fields):
    address = f"{unique_local()}@{PUBLIC}"
    return address, make_webhook(handle.api, handle.account, address, target_url=url, **fields)


def path():
    return "/" + uuid.uuid4().hex[:12]


def send(handle, rcpts, text="Hi there.\r\n", message_id=None):
    """One message to every address of `rcpts`; returns (code, reply) of DATA."""
    message = (
        f"From: <alice@example.org>\r\nTo: <{rcpts[0]}>\r\nSubject: Hello\r\n"
        f"Message-ID: <{message_id or uuid.uuid4().hex}@example.org>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}"
    ).encode()
    with smtplib.SMTP("127.0.0.1", handle.server.smtp_port, timeout=60) as client:
        client.ehlo("client.example")
        client.mail("alice@example.org")
        for rcpt in rcpts:
            code, reply = client.rcpt(rcpt)
            if code != 250:
                return code, reply
        try:
            return client.data(message)
        except smtplib.SMTPDataError as error:
            return error.smtp_code, error.smtp_error


def get_logs(handle, webhook, query):
    started = time.monotonic()
    status, _, body = handle.api.get(f"/webhooks/{webhook['id']}/logs?{query}", token=handle.account.access)
    return status, body, time.monotonic() - started


# Item 11 ------------------------------------------------------------------


def test_a_far_log_page_is_empty_and_answers_at_once(receiver, tmp_path):
    handle = start("paging", tmp_path)
    try:
        p = path()
        _, webhook = hook(handle, receiver.url(p))

        def simulate(n):
            status, _, body = handle.api.post(f"/webhooks/{webhook['id']}/simulate", {"subject": f"n{n}"},
                                              token=handle.account.access)
            assert status == 200, body

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(simulate, range(250)))
        status, everything, _ = get_logs(handle, webhook, "page_size=100&page=1")
        assert status == 200 and len(everything) == 100
        # The last page holds the oldest rows; the one after it is empty.
        status, last, _ = get_logs(handle, webhook, "page_size=100&page=3")
        assert status == 200 and len(last) == 50
        assert [r["id"] for r in last] == sorted((r["id"] for r in last), reverse=True)
        assert last[0]["id"] < everything[-1]["id"]
        for query in ("page_size=100&page=4", "page_size=100&page=1000000", "page=1000000"):
            status, body, took = get_logs(handle, webhook, query)
            assert status == 200 and body == [], (query, body)
            assert took < 1.0, (query, took)
    finally:
        handle.server.stop()


# Item 13 ------------------------------------------------------------------


def test_inline_attempt_answers_250_while_a_rate_limited_sibling_is_pending(receiver, tmp_path):
    handle = start("inline", tmp_path, delivery=DELIVERY + "inline_timeout_ms = 5000\n")
    try:
        limited, refusing = path(), path()
        receiver.script(refusing, default=400)
        limited_address, _ = hook(handle, receiver.url(limited), rate_limit=1)
        refusing_address, _ = hook(handle, receiver.url(refusing))
        # The limited webhook's one token of the minute goes to a first message.
        code, _ = send(handle, [limited_address])
        assert code == 250
        assert len(receiver.received(limited)) == 1
        # Both: the 400 is final, the other delivery waits for a token — 250.
        code, reply = send(handle, [limited_address, refusing_address])
        assert code == 250, reply
        assert len(receiver.received(refusing)) == 1
        message = spooled(handle.server.config, queued_id(reply))
        states = sorted((d["state"], d["attempts"]) for d in message["deliveries"])
        assert states == [("failed", 1), ("pending", 0)], states
        assert len(receiver.received(limited)) == 1
        # The refusing webhook alone still bounces.
        code, reply = send(handle, [refusing_address])
        assert code == 550 and b"HTTP 400" in reply, reply
    finally:
        handle.server.stop()


# Item 15 ------------------------------------------------------------------


def test_an_outcome_the_full_store_cannot_hold_is_not_posted_again_at_the_lease_end(receiver, tmp_path):
    # A lease lasts timeout_ms + 30 s = 55 s; a first retry waits 60…120 s.
    # timeout_ms bounds the whole POST: it must outlast filling the store
    # while the receiver holds the POST (seconds on a loaded machine).
    delivery = """
[delivery]
allow_private_targets = true
timeout_ms = 25000
retry_initial_ms = 120000
retry_max_ms = 600000
"""
    # No reserve: the headroom (test_storage_headroom.py) exists to keep this
    # from happening; here the store must fill up to the last page anyway.
    handle = start("full", tmp_path, delivery=delivery, map_size_mb=4, reserve_mb=0)
    try:
        target, filler = path(), path()
        gate = threading.Event()
        receiver.script(target, (503, {}, gate), default=503)
        receiver.script(filler, default=503)
        target_address, _ = hook(handle, receiver.url(target))
        # The filler's mail stays spooled: one POST a minute at most, never a 2xx.
        filler_address, _ = hook(handle, receiver.url(filler), rate_limit=1)
        code, _ = send(handle, [filler_address])
        assert code == 250
        receiver.wait(filler, 1)

        # The target's first POST waits at the gate while the store fills up.
        # Its Message-ID (folded, 21 KB) goes into the attempt's log row, so
        # the outcome needs several new contiguous pages, where a lease (one
        # small record update) reuses the pages the previous write freed.
        code, _ = send(handle, [target_address], message_id="\r\n ".join(["x" * 70] * 300))
        assert code == 250
        receiver.wait_gated(1)
        claimed = time.monotonic()
        for size in (900_000, 64_000, 4_000, 200):
            for _ in range(200):
                code, _ = send(handle, [filler_address], text=("y" * 76 + "\r\n") * max(1, size // 78))
                if code == 452:
                    break
                assert code == 250
            else:
                pytest.fail(f"the store never filled with {size}-byte messages")
        gate.set()
        receiver.wait(target, 1)
        assert wait_for(lambda: "recording a delivery outcome failed" in handle.server.log(), timeout=60), \
            "the store had room for the outcome: the test did not fill it"

        # Past the lease end (55 s after the claim) and then some: no second POST.
        time.sleep(max(0.0, claimed + 63 - time.monotonic()))
        assert len(receiver.received(target)) == 1, [r["at"] for r in receiver.received(target)]
    finally:
        gate.set()
        handle.server.stop()
