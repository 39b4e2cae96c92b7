"""Delivery from SMTP in to HTTP out, against the real binary and a real
local HTTP receiver: the signed payload (checked by the Standard Webhooks
library through verify-webhook.py), retries on 503 then 200 with the same
webhook-id, 410 deactivation, 400 and 3xx failing at once, rate limiting,
the SSRF guard (loopback, IPv4-mapped, a name resolving to a private
address), Mustache templates, simulate, log paging, the inline first
attempt, and kill -9 during a slow delivery followed by a restart."""

import threading
import signal
import smtplib
import time
import uuid

import pytest

from conftest import RunningConduit
from dns_helpers import DNSServer, dns_config, free_port, require_dns_serve, start_conduit
from identity_helpers import Client
from smtp_helpers import PUBLIC, make_certificate, make_webhook, queued_id, spooled, unique_local, wait_for
from webhook_receiver import Receiver, payload, verify_signature

DELIVERY = """
[delivery]
allow_private_targets = true
timeout_ms = 3000
retry_initial_ms = 500
retry_max_ms = 2000
"""


def start(prefix, delivery=DELIVERY, extra=""):
    handle, cleanup = start_conduit(prefix, extra=delivery + extra, smtp_settings=f'public_domains = ["{PUBLIC}"]\n')
    handle.api = Client(handle.server.api_url)
    handle.account = handle.api.new_account()
    return handle, cleanup


@pytest.fixture(scope="module")
def server():
    handle, cleanup = start("delivery")
    yield handle
    cleanup()


def hook(server, url, **fields):
    address = f"{unique_local()}@{PUBLIC}"
    return address, make_webhook(server.api, server.account, address, target_url=url, **fields)


def path():
    return "/" + uuid.uuid4().hex[:12]


def send(server, rcpt, subject="Hello", text="Hi there.\r\n", sender="alice@example.org", extra_headers=""):
    message = (
        f"From: Alice <{sender}>\r\nTo: <{rcpt}>\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.org>\r\n{extra_headers}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}"
    ).encode()
    with smtplib.SMTP("127.0.0.1", server.server.smtp_port, timeout=30) as client:
        client.ehlo("client.example")
        client.mail(sender)
        code, reply = client.rcpt(rcpt)
        assert code == 250, reply
        return client.data(message)


def logs(server, webhook, **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    status, _, body = server.api.get(f"/webhooks/{webhook['id']}/logs" + (f"?{q}" if q else ""), token=server.account.access)
    assert status == 200, body
    return body




def test_signed_payload_arrives_and_verifies(server, receiver):
    p = path()
    address, webhook = hook(server, receiver.url(p), custom_headers={"X-Tenant": "acme"})
    local, domain = address.split("@")
    code, reply = send(server, f"{local}+orders@{domain}", subject="Invoice \"42\"", text="Total: 10 EUR\r\n")
    assert code == 250, reply
    message_id = queued_id(reply)
    [request] = receiver.wait(p, 1)
    headers = request["headers"]
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("Conduit/")
    assert headers["x-tenant"] == "acme"
    assert "." not in headers["webhook-id"]
    assert headers["webhook-signature"].startswith("v1,")
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    result = verify_signature(webhook["secret"], request)
    assert result.returncode == 0, result.stdout + result.stderr
    # A tampered body does not verify: the check can fail.
    tampered = dict(request, body=request["body"].replace(b"Invoice", b"Invoise"))
    assert verify_signature(webhook["secret"], tampered).returncode == 1

    body = payload(request)
    assert body["id"] == message_id
    assert body["webhook_id"] == webhook["id"]
    assert body["subject"] == 'Invoice "42"'
    assert body["text"].strip() == "Total: 10 EUR"
    assert body["tag"] == "orders"
    assert body["envelope"]["mail_from"] == "alice@example.org"
    assert body["envelope"]["rcpt_to"] == f"{local}+orders@{domain}"
    assert body["envelope"]["helo"] == "client.example"
    assert body["envelope"]["remote_ip"] == "127.0.0.1"
    assert body["from"] == {"name": "Alice", "address": "alice@example.org"}
    assert body["auth"]["spf"]["result"] is not None

    # One log row; the spool keeps the delivered message for redelivery
    # (delivery.keep_delivered_hours, 72 by default: test_redelivery.py).
    rows = wait_for(lambda: logs(server, webhook) or None)
    [row] = rows
    assert row["http_status"] == 200 and row["error"] is None and row["simulated"] is False, row
    assert row["sender"] == "alice@example.org"
    assert row["smtp_message_id"].endswith("@example.org>")
    status, _, single = server.api.get(f"/webhooks/{webhook['id']}/logs/{row['id']}", token=server.account.access)
    assert status == 200 and single == row
    assert wait_for(lambda: kept_delivered(server, message_id))


def kept_delivered(server, message_id):
    """The spooled message, when it is kept with every delivery delivered."""
    entry = spooled(server.server.config, message_id)
    return entry if entry and all(d["state"] == "delivered" for d in entry["deliveries"]) else None


def test_delivery_metrics(server, receiver):
    import urllib.request
    p = path()
    address, _ = hook(server, receiver.url(p))
    assert send(server, address)[0] == 250
    receiver.wait(p, 1)
    def counted():
        text = urllib.request.urlopen(server.server.api_url + "/metrics", timeout=30).read().decode()
        lines = [line for line in text.splitlines() if line.startswith('conduit_delivery_attempts_total{outcome="delivered"}')]
        return lines if lines and float(lines[0].split()[-1]) >= 1 else None
    assert wait_for(counted), "no delivered attempt counted on /metrics"


def test_log_row_is_private_to_its_account(server, receiver):
    p = path()
    _, webhook = hook(server, receiver.url(p))
    status, _, result = server.api.post(f"/webhooks/{webhook['id']}/simulate", {}, token=server.account.access)
    assert status == 200, result
    [row] = logs(server, webhook)
    other = server.api.new_account()
    for url in (f"/webhooks/{webhook['id']}/logs/{row['id']}", f"/webhooks/{webhook['id']}/logs"):
        status, _, body = server.api.get(url, token=other.access)
        assert status == 404 and body["code"] == "not_found", body
    status, _, body = server.api.get(f"/webhooks/{webhook['id']}/logs/{uuid.uuid4().hex}", token=server.account.access)
    assert status == 404


def test_503_is_retried_with_the_same_webhook_id_then_200(server, receiver):
    p = path()
    receiver.script(p, (503, {"Retry-After": "1"}), 503)
    address, webhook = hook(server, receiver.url(p))
    code, reply = send(server, address)
    assert code == 250
    requests = receiver.wait(p, 3)
    assert len({r["headers"]["webhook-id"] for r in requests}) == 1
    # Retry-After: 1 was honoured (not the 500 ms initial delay).
    assert requests[1]["at"] - requests[0]["at"] >= 0.9
    rows = wait_for(lambda: (lambda r: r if len(r) == 3 else None)(logs(server, webhook)))
    assert [r["http_status"] for r in rows] == [200, 503, 503]  # newest first
    assert rows[1]["error"] == "HTTP 503" and rows[0]["error"] is None
    assert wait_for(lambda: kept_delivered(server, queued_id(reply)))


def test_410_fails_and_deactivates_the_webhook(server, receiver):
    p = path()
    receiver.script(p, default=410)
    address, webhook = hook(server, receiver.url(p))
    code, reply = send(server, address)
    assert code == 250
    receiver.wait(p, 1)
    def inactive():
        status, _, body = server.api.get(f"/webhooks/{webhook['id']}", token=server.account.access)
        return body["active"] is False
    assert wait_for(inactive)
    [row] = logs(server, webhook)
    assert row["http_status"] == 410 and "deactivated" in row["error"]
    entry = spooled(server.server.config, queued_id(reply))
    assert [d["state"] for d in entry["deliveries"]] == ["failed"]


@pytest.mark.parametrize("status", [400, 302])
def test_other_4xx_and_3xx_fail_at_once(server, receiver, status):
    p = path()
    target = path()
    receiver.script(p, default=(status, {"Location": receiver.url(target)}))
    address, webhook = hook(server, receiver.url(p))
    code, reply = send(server, address)
    assert code == 250
    receiver.wait(p, 1)
    entry = wait_for(lambda: (lambda e: e if e["deliveries"][0]["state"] != "pending" else None)(
        spooled(server.server.config, queued_id(reply))))
    assert entry["deliveries"][0]["state"] == "failed"
    time.sleep(1.5)  # three retry intervals: nothing more may come
    assert len(receiver.received(p)) == 1
    assert receiver.received(target) == []  # redirects are not followed
    [row] = logs(server, webhook)
    assert row["http_status"] == status


def test_rate_limit_lets_a_burst_through_and_keeps_the_rest_spooled(server, receiver):
    p = path()
    address, webhook = hook(server, receiver.url(p), rate_limit=2)
    ids = []
    for n in range(5):
        code, reply = send(server, address, subject=f"rate {n}")
        assert code == 250
        ids.append(queued_id(reply))
    receiver.wait(p, 2)
    time.sleep(2)
    # 2 per minute: the burst is 2, the next token is 30 s away.
    assert len(receiver.received(p)) == 2
    # The two delivered ones are kept too (keep_delivered_hours): only the
    # rest is pending.
    pending = [i for i in ids if spooled(server.server.config, i)["deliveries"][0]["state"] == "pending"]
    assert len(pending) == 3
    for message_id in pending:
        [delivery] = spooled(server.server.config, message_id)["deliveries"]
        assert delivery["state"] == "pending" and delivery["attempts"] == 0


def test_mustache_template_is_json_escaped(server, receiver):
    p = path()
    template = '{"subject": "{{subject}}", "from": "{{from.address}}", "tag": "{{tag}}", "n": {{size}}}'
    address, _ = hook(server, receiver.url(p), payload_template=template)
    code, _ = send(server, address, subject='say "hi" \\ <b>')
    assert code == 250
    [request] = receiver.wait(p, 1)
    body = payload(request)
    assert body["subject"] == 'say "hi" \\ <b>'
    assert body["from"] == "alice@example.org"
    assert body["tag"] == ""
    assert isinstance(body["n"], int) and body["n"] > 0


def test_simulate_delivers_once_and_logs_it(server, receiver):
    p = path()
    address, webhook = hook(server, receiver.url(p))
    status, _, result = server.api.post(
        f"/webhooks/{webhook['id']}/simulate",
        {"from": "sim@example.net", "subject": "Grüße", "text": "simulated body"},
        token=server.account.access,
    )
    assert status == 200, result
    assert result["simulated"] is True and result["http_status"] == 200 and result["error"] is None
    assert isinstance(result["duration_ms"], int)
    [request] = receiver.received(p)
    body = payload(request)
    assert body["subject"] == "Grüße" and body["text"].strip() == "simulated body"
    assert body["from"]["address"] == "sim@example.net"
    assert body["envelope"]["rcpt_to"] == address
    assert verify_signature(webhook["secret"], request).returncode == 0
    [row] = logs(server, webhook)
    assert row["simulated"] is True and row["http_status"] == 200 and row["sender"] == "sim@example.net"

    # A failing endpoint is reported, not retried.
    receiver.script(p, 500)
    status, _, result = server.api.post(f"/webhooks/{webhook['id']}/simulate", token=server.account.access)
    assert status == 200 and result["http_status"] == 500 and result["error"]
    # Bad input is 422; another account's webhook is 404.
    for bad in ({"subject": 7}, {"from": "no-at-sign"}, {"subject": "a\r\nBcc: x@y"}):
        status, _, body = server.api.post(f"/webhooks/{webhook['id']}/simulate", bad, token=server.account.access)
        assert status == 422, (bad, body)
    other = server.api.new_account()
    status, _, _ = server.api.post(f"/webhooks/{webhook['id']}/simulate", {}, token=other.access)
    assert status == 404


def test_log_paging(server, receiver):
    p = path()
    _, webhook = hook(server, receiver.url(p))
    for n in range(7):
        status, _, _ = server.api.post(f"/webhooks/{webhook['id']}/simulate", {"subject": f"n{n}"}, token=server.account.access)
        assert status == 200
    everything = logs(server, webhook)
    assert len(everything) == 7
    assert [r["id"] for r in everything] == sorted((r["id"] for r in everything), reverse=True)
    pages = [logs(server, webhook, page=n, page_size=3) for n in (1, 2, 3, 4)]
    assert [len(x) for x in pages] == [3, 3, 1, 0]
    assert [r["id"] for page in pages for r in page] == [r["id"] for r in everything]
    for query in ("page=0", "page_size=0", "page_size=101", "page=x"):
        status, _, body = server.api.get(f"/webhooks/{webhook['id']}/logs?{query}", token=server.account.access)
        assert status == 422 and body["code"] == "invalid_request", query


def test_one_slow_webhook_neither_serializes_its_mail_nor_delays_others(server, receiver):
    slow, fast = path(), path()
    gate = threading.Event()
    receiver.script(slow, default=(200, {}, gate))
    slow_address, _ = hook(server, receiver.url(slow))
    fast_address, _ = hook(server, receiver.url(fast))
    already = receiver.waiting
    try:
        for n in range(3):
            assert send(server, slow_address, subject=f"slow {n}")[0] == 250
        # All three are in flight at once (max_in_flight_per_webhook is 16)...
        receiver.wait_gated(already + 3)
        # ...and another webhook's mail goes through meanwhile.
        assert send(server, fast_address)[0] == 250
        receiver.wait(fast, 1)
        assert receiver.received(slow) == []
    finally:
        gate.set()
    receiver.wait(slow, 3)


def test_connections_are_reused(server, receiver):
    p = path()
    _, webhook = hook(server, receiver.url(p))
    for _ in range(3):
        status, _, result = server.api.post(f"/webhooks/{webhook['id']}/simulate", token=server.account.access)
        assert status == 200 and result["http_status"] == 200, result
    # One keep-alive connection (through one tunnel) carried all three POSTs.
    assert len({r["peer"] for r in receiver.received(p)}) == 1


def test_https_runs_end_to_end_through_the_guard_and_verifies_the_certificate(server, tmp_path):
    """TLS is negotiated by Conduit's HTTP client with the endpoint, at the
    address the SSRF guard checked: a self-signed certificate is refused,
    logged as a TLS error, and retried."""
    import ssl
    cert, key = make_certificate(tmp_path, name="hooks.conduit.test")
    tls_receiver = Receiver()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    tls_receiver.server.socket = context.wrap_socket(tls_receiver.server.socket, server_side=True)
    try:
        p = path()
        address, webhook = hook(server, f"https://127.0.0.1:{tls_receiver.port}{p}")
        status, _, result = server.api.post(f"/webhooks/{webhook['id']}/simulate", token=server.account.access)
        assert status == 200, result
        assert result["http_status"] is None
        assert result["error"] == "TLS with the endpoint failed: CERTIFICATE_VERIFY_FAILED", result
        assert tls_receiver.received(p) == []
    finally:
        tls_receiver.close()


@pytest.fixture(scope="module")
def dns(tmp_path_factory):
    require_dns_serve()
    server = DNSServer(free_port(), tmp_path_factory.mktemp("dns"))
    server.serve({
        "internal.example": [{"A": "10.1.2.3"}],
        "loop.example": [{"A": "127.0.0.1"}],
        "nowhere.example": [],
    })
    yield server
    server.close()


def test_ssrf_guard_refuses_private_targets(dns, receiver):
    handle, cleanup = start("ssrf", delivery="\n[delivery]\ntimeout_ms = 2000\n", extra=dns_config(dns.port))
    try:
        p = path()
        targets = [
            (receiver.url(p), "loopback"),
            (f"http://[::ffff:127.0.0.1]:{receiver.port}{p}", "loopback"),
            (f"http://loop.example:{receiver.port}{p}", "loopback"),
            (f"http://internal.example:{receiver.port}{p}", "private"),
            ("http://169.254.169.254/latest/meta-data/", "link-local"),
            (f"http://[::1]:{receiver.port}{p}", "loopback"),
        ]
        for url, scope in targets:
            address, webhook = hook(handle, url)
            status, _, result = handle.api.post(f"/webhooks/{webhook['id']}/simulate", token=handle.account.access)
            assert status == 200, result
            assert result["http_status"] is None, (url, result)
            assert f"is a {scope} address" in result["error"], (url, result)
            # And through the spool: refused, logged, kept for a retry.
            code, reply = send(handle, address)
            assert code == 250
            rows = wait_for(lambda: (lambda r: r if len(r) == 2 else None)(logs(handle, webhook)))
            assert rows[0]["http_status"] is None and scope in rows[0]["error"], rows[0]
        assert receiver.received(p) == []
    finally:
        cleanup()


def test_inline_first_attempt_answers_550_on_permanent_failure(receiver):
    handle, cleanup = start("inline", delivery=DELIVERY + "inline_timeout_ms = 5000\n")
    try:
        ok, bad, busy = path(), path(), path()
        receiver.script(bad, default=400)
        receiver.script(busy, default=503)
        ok_address, _ = hook(handle, receiver.url(ok))
        code, _ = send(handle, ok_address)
        assert code == 250
        assert len(receiver.received(ok)) == 1  # delivered before the reply
        bad_address, bad_hook = hook(handle, receiver.url(bad))
        code, reply = send(handle, bad_address)
        assert code == 550 and b"HTTP 400" in reply, reply
        busy_address, _ = hook(handle, receiver.url(busy))
        code, reply = send(handle, busy_address)
        assert code == 250, reply  # retried from the spool
        receiver.wait(busy, 2)
    finally:
        cleanup()


def test_kill9_during_slow_delivery_loses_nothing(receiver):
    p = path()
    gate = threading.Event()
    receiver.script(p, default=(200, {}, gate))  # every POST hangs until the gate opens
    handle, cleanup = start("crash", delivery=DELIVERY.replace("timeout_ms = 3000", "timeout_ms = 20000"))
    try:
        address, _ = hook(handle, receiver.url(p))
        subjects = [f"crash-{n}-{uuid.uuid4().hex[:6]}" for n in range(6)]
        ids = []
        already = receiver.waiting
        for subject in subjects:
            code, reply = send(handle, address, subject=subject)
            assert code == 250
            ids.append(queued_id(reply))
        # All six POSTs are in flight, held by the receiver: kill -9 now.
        receiver.wait_gated(already + 6)
        handle.server.proc.send_signal(signal.SIGKILL)
        handle.server.proc.wait()
        receiver.script(p, default=200)
        restarted = RunningConduit(handle.server.config, handle.server.log_path)
        handle.server = restarted
        # The leases of the dead process are re-offered at once: every message
        # arrives again through a new POST (not the ones held at the gate).
        def redelivered():
            return {payload(r)["subject"] for r in receiver.received(p) if not r["gated"]} >= set(subjects)
        assert wait_for(redelivered, timeout=60)
        assert wait_for(lambda: all(
            (lambda e: e and all(d["state"] == "delivered" for d in e["deliveries"]))(spooled(restarted.config, i)) for i in ids
        ))
        assert "deliveries re-offered after restart count=6" in restarted.log()
    finally:
        gate.set()
        cleanup()
