"""The webhook endpoint down for a while, then back (docs/RELIABILITY.md,
"Webhook endpoint down"): two webhooks on one real `conduit serve`, one whose
port is closed (connection refused) and one whose receiver answers 503,
both for DOWN seconds; then the first port opens and the second answers 200.
Every message is delivered, every attempt is a row in the delivery-log API,
and the spacing of the attempts is the configured schedule's.

The schedule (docs/DELIVERY.md, "When the outcome cannot be recorded" gives
the formula; delivery.retry_initial_ms and retry_max_ms are real config keys):
after attempt k fails, the next comes after base_k/2 … base_k (equal jitter),
base_k = min(retry_initial_ms · 2^(k−1), retry_max_ms), counted from the
moment the failure was recorded.

Long form (FAULTS_LONG=1): down 600 s, retry_initial_ms 5000, retry_max_ms
60000. Short form: down 20 s, 1000 and 4000 (the same shape, scaled)."""

import re
import smtplib
import time
import uuid
from datetime import datetime, timezone

from conftest import LONG_MODE
from dns_helpers import free_port
from load_helpers import delivery_log_rows, new_webhook, server_config, start, wait_spool_empty
from smtp_helpers import make_webhook, queued_id, unique_local, PUBLIC
from webhook_receiver import Receiver, payload

DOWN = 600 if LONG_MODE else 20
INITIAL_MS, MAX_MS = (5000, 60000) if LONG_MODE else (1000, 4000)
MESSAGES = 10 if LONG_MODE else 4  # per webhook
DELIVERY = f"""
timeout_ms = 2000
retry_initial_ms = {INITIAL_MS}
retry_max_ms = {MAX_MS}
keep_delivered_hours = 0
"""
# How much later than base_k an attempt may start. The retry time is set
# when the outcome is written; the attempt starts at the first claim pass
# at or after it: the scheduler sleeps until the earliest due time (at least
# 250 ms when a pass claimed nothing), then one write transaction leases the
# delivery. Measured on the shared 2-core machine with the debug build: up
# to ~0.25 s late when idle; 1 s leaves room for a loaded machine without
# hiding a schedule off by a step (the smallest step is retry_initial_ms/2).
LATE = 1.0
# Earlier than base_k/2: the log line of attempt k is written just after
# the outcome (the retry time's origin), so only clock reading order.
EARLY = 0.1

ATTEMPT_LINE = re.compile(r"^(\S+Z) \w+ conduit: delivery attempt (.*)$", re.M)
FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def attempts_in_log(log_text):
    """message id -> [(time, attempt, status, outcome, ms)] from the process log."""
    found = {}
    for stamp, rest in ATTEMPT_LINE.findall(log_text):
        fields = {k: v.strip('"') for k, v in FIELD.findall(rest)}
        at = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
        found.setdefault(fields["message"], []).append(
            (at, int(fields["attempt"]), fields["status"], fields["outcome"], int(fields["ms"]))
        )
    return found


def send(port, rcpt):
    marker = uuid.uuid4().hex
    text = (
        f"From: <down@example.org>\r\nTo: <{rcpt}>\r\nSubject: down {marker}\r\n"
        f"Message-ID: <{marker}@faults.conduit.test>\r\n\r\nWhile the endpoint is down.\r\n"
    )
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("down.example")
        client.mail("down@example.org")
        code, reply = client.rcpt(rcpt)
        assert code == 250, reply
        code, reply = client.data(text.encode())
        assert code == 250, reply
    return queued_id(reply), f"<{marker}@faults.conduit.test>"


def check_spacing(attempts):
    """(gaps checked, worst lateness past base_k, worst earliness before base_k/2)."""
    late = early = float("-inf")
    for (end, k, *_), (next_end, k2, _, _, next_ms) in zip(attempts, attempts[1:]):
        assert k2 == k + 1, f"attempt {k} followed by {k2}: {attempts}"
        base = min(INITIAL_MS * 2 ** (k - 1), MAX_MS) / 1000
        gap = (next_end - next_ms / 1000) - end
        late, early = max(late, gap - base), max(early, base / 2 - gap)
        assert base / 2 - EARLY <= gap <= base + LATE, (
            f"attempt {k + 1} came {gap:.3f} s after attempt {k}; the schedule says {base / 2:.3f} … {base:.3f} s"
        )
    return len(attempts) - 1, late, early


def test_endpoint_down_then_back_delivers_everything_on_schedule(workdir):
    closed_port = free_port()
    refused_path, failing_path = "/refused", "/failing"
    failing = Receiver()
    failing.script(failing_path, default=503)
    config = server_config(workdir, DELIVERY)
    server = start(config)
    client, account, refused_address, refused_hook = new_webhook(server, f"http://127.0.0.1:{closed_port}{refused_path}")
    failing_address = f"{unique_local('fault')}@{PUBLIC}"
    failing_hook = make_webhook(client, account, failing_address, target_url=failing.url(failing_path))
    back = None
    try:
        sent = {"refused": [send(server.smtp_port, refused_address) for _ in range(MESSAGES)],
                "failing": [send(server.smtp_port, failing_address) for _ in range(MESSAGES)]}
        down_since = time.monotonic()
        time.sleep(max(0.0, DOWN - (time.monotonic() - down_since)))
        back = Receiver(port=closed_port)
        failing.script(failing_path, default=200)
        up_at, up_wall = time.monotonic(), time.time()
        back.wait(refused_path, MESSAGES, timeout=MAX_MS / 1000 + 30)
        drain = wait_spool_empty(config, timeout=MAX_MS / 1000 + 30)
        all_in = time.monotonic() - up_at

        # A long wait outlives the first session: sign in again.
        account.session = client.session(account)
        logged = attempts_in_log(server.log())
        report = []
        for kind, hook in (("refused", refused_hook), ("failing", failing_hook)):
            rows = delivery_log_rows(client, account.access, hook["id"])
            for queue_id, smtp_id in sent[kind]:
                attempts = logged.get(queue_id, [])
                mine = [r for r in rows if r["smtp_message_id"] == smtp_id]
                # Every attempt is a delivery-log row, each at its own time.
                assert len(mine) == len(attempts) >= 2, (kind, queue_id, len(mine), attempts)
                assert [a[1] for a in attempts] == list(range(1, len(attempts) + 1)), attempts
                for row, (end, _, status, outcome, ms) in zip(mine, attempts):
                    started = datetime.strptime(row["attempted_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
                    assert -0.05 <= (end - ms / 1000) - started < 1.05, (row, end)
                    assert row["http_status"] == (None if status == "-" else int(status)), (row, status)
                *failed, last = mine
                assert last["http_status"] == 200 and last["error"] is None, last
                if kind == "refused":
                    assert all(r["http_status"] is None and "connection refused" in r["error"] for r in failed), failed
                else:
                    assert all(r["http_status"] == 503 for r in failed), failed
                # Delivered only once it was back, not before.
                assert attempts[-1][3] == "delivered" and all(a[3] == "pending" for a in attempts[:-1]), attempts
                report.append((kind, len(attempts), *check_spacing(attempts)))
        # The 503 receiver saw every message again after it came back.
        after_up = {payload(r)["subject"] for r in failing.received(failing_path) if r["at"] >= up_wall}
        assert after_up == {f"down {smtp_id[1:33]}" for _, smtp_id in sent["failing"]}, after_up
        counts = [n for _, n, *_ in report]
        print(
            f"\nendpoint down {DOWN} s (retry_initial_ms {INITIAL_MS}, retry_max_ms {MAX_MS}): "
            f"{2 * MESSAGES} messages, all delivered {all_in:.1f} s after the endpoint came back "
            f"(spool empty {drain:.1f} s after the last refused one arrived); attempts per message "
            f"{min(counts)}-{max(counts)}, {sum(counts)} attempts = {sum(counts)} log rows; "
            f"{sum(r[2] for r in report)} gaps checked, worst {max(r[3] for r in report):+.3f} s past base_k, "
            f"worst {max(r[4] for r in report):+.3f} s before base_k/2"
        )
        assert server.stop() == 0
    finally:
        if server.proc.poll() is None:
            server.stop()
        failing.close()
        if back is not None:
            back.close()
