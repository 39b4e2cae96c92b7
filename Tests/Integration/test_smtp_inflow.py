"""Flow control between intake and delivery ([delivery] inflow_backlog and
inflow_delay_ms, docs/DELIVERY.md "Flow control"): while a webhook has more
fresh deliveries waiting than the high-water mark, a new recipient of it
waits at RCPT until an attempt starts; other webhooks' senders do not wait,
and nothing accepted is lost."""

import re
import threading
import urllib.request

import pytest

from test_delivery import hook, path, send, start
from webhook_receiver import Receiver

# One POST at a time per webhook and a high-water mark of one fresh
# delivery; the wait is long enough that only an attempt can end it. A
# webhook counts as fast unless its POSTs average a minute: the receiver's
# answers are quick, but a busy machine can stretch one past the default
# 100 ms, and a slow webhook is never waited on (that made these tests flaky).
INFLOW = """
[delivery]
allow_private_targets = true
timeout_ms = 20000
retry_initial_ms = 500
retry_max_ms = 2000
max_in_flight_per_webhook = 1
inflow_backlog = 1
inflow_delay_ms = 30000
inflow_slow_post_ms = 60000
"""


@pytest.fixture(scope="module")
def server():
    handle, cleanup = start("inflow", delivery=INFLOW)
    yield handle
    cleanup()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def waits(server):
    text = urllib.request.urlopen(server.server.api_url + "/metrics", timeout=30).read().decode()
    found = {m.group(1): float(m.group(2)) for m in re.finditer(r'conduit_smtp_inflow_waits_total\{outcome="(\w+)"\} (\S+)', text)}
    return found.get("released", 0.0), found.get("timed_out", 0.0)


def test_a_backlogged_webhooks_sender_waits_for_an_attempt_and_others_pass(server, receiver):
    slow, fast = path(), path()
    gate = threading.Event()
    # The first POST answers at once (the webhook is known to be fast:
    # a webhook none of whose POSTs has answered is not waited on), the
    # others are held until the gate opens.
    receiver.script(slow, (200, {}), default=(200, {}, gate))
    slow_address, _ = hook(server, receiver.url(slow))
    fast_address, _ = hook(server, receiver.url(fast))
    assert send(server, slow_address, subject="zero")[0] == 250
    receiver.wait(slow, 1)
    before = waits(server)
    third = {}
    try:
        # The first is in flight (held by the receiver), the second waits
        # for the webhook's one slot: the fresh backlog is at the mark.
        assert send(server, slow_address, subject="one")[0] == 250
        receiver.wait_gated(1)
        assert send(server, slow_address, subject="two")[0] == 250
        # The third's RCPT waits until the second's attempt starts.
        sender = threading.Thread(target=lambda: third.update(reply=send(server, slow_address, subject="three")))
        sender.start()
        # Meanwhile another webhook's sender goes straight through.
        assert send(server, fast_address)[0] == 250
        receiver.wait(fast, 1)
        assert sender.is_alive(), "the third message was accepted without waiting"
        assert waits(server) == before
    finally:
        gate.set()
    sender.join(timeout=30)
    assert third["reply"][0] == 250
    receiver.wait(slow, 4)
    released, timed_out = waits(server)
    assert (released - before[0], timed_out - before[1]) == (1.0, 0.0)


def test_the_wait_is_bounded_by_the_delay(receiver):
    handle, cleanup = start("inflow-delay", delivery=INFLOW.replace("inflow_delay_ms = 30000", "inflow_delay_ms = 300"))
    try:
        slow = path()
        gate = threading.Event()
        receiver.script(slow, (200, {}), default=(200, {}, gate))
        address, _ = hook(handle, receiver.url(slow))
        assert send(handle, address, subject="zero")[0] == 250
        receiver.wait(slow, 1)
        try:
            assert send(handle, address, subject="one")[0] == 250
            receiver.wait_gated(1)
            assert send(handle, address, subject="two")[0] == 250
            # Nothing starts while the receiver holds the first POST: the
            # third is accepted when the delay runs out.
            assert send(handle, address, subject="three")[0] == 250
            assert waits(handle) == (0.0, 1.0)
        finally:
            gate.set()
        receiver.wait(slow, 4)
    finally:
        cleanup()
