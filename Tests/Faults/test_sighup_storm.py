"""SIGHUP reload storms under load (docs/RELIABILITY.md, "SIGHUP reload
storms"): while SMTP senders keep their connections busy and an API client
keeps asking, the config file is rewritten (atomically) between two values
of every live key — log.level, delivery.log_retention_days and
smtp.public_domains (an extra domain on and off) — and `conduit serve` gets
SIGHUP after each rewrite. No SMTP connection may be dropped or refused
mid-transaction, every message answered 250 is delivered, the API answers
every request, and the last file's values are the ones in effect.

Long form (FAULTS_LONG=1): 200 SIGHUPs, one a second. Short form: 30, four
a second."""

import os
import re
import signal
import threading
import time

from conftest import LONG_MODE
from identity_helpers import http
from load_helpers import KiB, FlakyReceiver, SMTPLoad, new_webhook, server_config, start, tally, wait_spool_empty
from smtp_helpers import PUBLIC, wait_for

HUPS = 200 if LONG_MODE else 30
INTERVAL = 1.0 if LONG_MODE else 0.25
CONNECTIONS = 8
SIZES = [(1 * KiB, 60), (16 * KiB, 30), (64 * KiB, 10)]
DELIVERY = """
timeout_ms = 5000
retry_initial_ms = 250
retry_max_ms = 2000
keep_delivered_hours = 0
log_retention_days = 30
"""
EXTRA_DOMAIN = "storm.conduit.test"
LIVE_KEYS = {"log.level", "delivery.log_retention_days", "smtp.public_domains"}


def variant(base: str, n: int) -> str:
    """The config text of the n-th rewrite: every live key flips each time."""
    odd = n % 2 == 1
    text = base.replace('level = "info"', f'level = "{"debug" if odd else "info"}"')
    text = text.replace("log_retention_days = 30", f"log_retention_days = {29 if odd else 30}")
    domains = f'["{PUBLIC}", "{EXTRA_DOMAIN}"]' if odd else f'["{PUBLIC}"]'
    return text.replace(f'public_domains = ["{PUBLIC}"]', f"public_domains = {domains}")


def rewrite(config, text):
    """Replace the file in one rename: a reload never reads half of it."""
    temporary = config.with_suffix(".toml.new")
    temporary.write_text(text)
    os.replace(temporary, config)


class APIPoller(threading.Thread):
    """GET /healthz, /webhooks and /domains in a loop; every status and error counted."""

    def __init__(self, client, token):
        super().__init__(daemon=True)
        self.client, self.token = client, token
        self.stopping = threading.Event()
        self.ok = 0
        self.failures = []
        self.latencies = []

    def run(self):
        while not self.stopping.is_set():
            for path, token in (("/healthz", None), ("/api/v1/webhooks", self.token), ("/api/v1/domains", self.token)):
                began = time.monotonic()
                try:
                    status, _, body = self.call(path, token)
                    self.latencies.append(time.monotonic() - began)
                except OSError as error:
                    self.failures.append((path, repr(error)))
                    continue
                if status == 200:
                    self.ok += 1
                else:
                    self.failures.append((path, status, body))
            time.sleep(0.02)

    def call(self, path, token):
        return http(self.client.api_url, "GET", path, token=token, timeout=30)


def test_sighup_storm_under_load_drops_nothing(workdir):
    receiver = FlakyReceiver(fail_rate=0.0, hang_rate=0.0, delay=(0.0, 0.05))
    config = server_config(workdir, DELIVERY, log_level="info")
    base = config.read_text()
    assert variant(base, 1) != base and variant(base, 2) == base
    server = start(config)
    client, account, address, _ = new_webhook(server, receiver.url())
    load = SMTPLoad(lambda: server.smtp_port, address, SIZES, CONNECTIONS, pause=0.01).start()
    poller = APIPoller(client, client.session(account)["access_token"])
    poller.start()
    try:
        # Every sender is connected and has had mail accepted before the storm.
        assert wait_for(lambda: len(load.accepted) >= CONNECTIONS, timeout=60)
        storm_began = time.monotonic()
        for n in range(1, HUPS + 1):
            rewrite(config, variant(base, n))
            server.proc.send_signal(signal.SIGHUP)
            time.sleep(INTERVAL)
        storm = time.monotonic() - storm_began
        time.sleep(1)
        load.stop()
        poller.stopping.set()
        poller.join(60)
        drain = wait_spool_empty(config, timeout=120)
        assert wait_for(lambda: not tally(load.accepted, receiver)[0], timeout=10)
        missing, duplicates, _, _ = tally(load.accepted, receiver)

        log = server.log()
        reloads = log.count("configuration reloaded")
        failed_reloads = log.count("configuration reload failed")
        print(
            f"\nSIGHUP storm: {HUPS} SIGHUPs in {storm:.1f} s, {reloads} reloads logged, {failed_reloads} failed; "
            f"{CONNECTIONS} SMTP connections opened {load.connects} times, {len(load.accepted)} messages got 250, "
            f"{len(load.refused)} refused, {len(load.errors)} errors; delivered {len(load.accepted) - len(missing)}, "
            f"missing {len(missing)}, duplicate POSTs {duplicates}; API {poller.ok} requests answered 200, "
            f"{len(poller.failures)} not (slowest {max(poller.latencies):.2f} s, median "
            f"{sorted(poller.latencies)[len(poller.latencies) // 2]:.3f} s); spool empty {drain:.1f} s after the load"
        )
        assert load.errors == [], f"SMTP transactions broken by a reload: {load.errors[:5]}"
        assert load.refused == [], f"messages refused during the storm: {load.refused[:5]}"
        assert load.connects == CONNECTIONS, "a sender had to reconnect"
        assert not missing, f"{len(missing)} messages got 250 and were not delivered"
        assert poller.failures == [], poller.failures[:5]
        assert poller.ok > 0
        assert failed_reloads == 0
        # Signals that arrive during a reload may merge into one more reload,
        # never into none: at least one reload per burst, the last file wins.
        assert 0 < reloads <= HUPS, reloads
        # Each reload applied every live key (each one flips every time).
        applied = re.findall(r"configuration reloaded needs_restart=none reloaded=(\S+)", log)
        assert len(applied) == reloads, log[-3000:]
        assert all(set(keys.split(",")) == LIVE_KEYS for keys in applied), applied[:5]
        final_public = HUPS % 2 == 1
        status, _, domains = client.get("/domains", token=account.access)
        assert status == 200, domains
        names = {d["name"] for d in domains if d.get("is_public")}
        assert names == ({PUBLIC, EXTRA_DOMAIN} if final_public else {PUBLIC}), names
        assert server.stop() == 0
    finally:
        load.stopping.set()
        poller.stopping.set()
        if server.proc.poll() is None:
            server.stop()
        receiver.close()
