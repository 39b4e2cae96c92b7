"""Fault campaign: the disk under the store fills up, and the LMDB map fills
up (docs/RELIABILITY.md, "Disk full and LMDB map full").

Disk: the storage directory is a small tmpfs. Mail whose webhook answers 503
stays spooled and fills it, then a filler file takes the last byte. SMTP must
answer 250 or `452 4.3.1` and nothing else (no 5xx, no dropped connection),
API writes 507 `storage_full`, the process lives; when the filler is deleted
and the tmpfs remounted bigger, Conduit takes mail again without a restart
and every message that got 250, before and after, is delivered.

Map: the same with `map_size_mb = 2` on an ordinary directory: SMTP fills
the map down to the reserve; below it the API's store-growing writes answer
507 at once while reads, sign-in and DELETEs go on (the reserve stays for
delivery); then the webhook recovers, the spool drains into it, and mail and
API writes are accepted again — by itself, no restart.

Short form: one of each, ~40 MiB of mail. Long form (FAULTS_LONG=1): the disk
fills and recovers three times in one process, with mail from 4 concurrent
senders."""

import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from env_faults import Conduit, Tmpfs, fill, message_bytes, pick, require_root, send, temporary_directory
from smtp_helpers import PUBLIC, make_webhook, spool_json, unique_local, wait_for
from webhook_receiver import Receiver, payload

DELIVERY = """
[delivery]
allow_private_targets = true
timeout_ms = 10000
retry_initial_ms = 1000
retry_max_ms = 2000
# Delivered mail leaves the spool, so a drained spool frees its room.
keep_delivered_hours = 0
"""
# Past smtp.data_memory_kb (256 KiB): every message also writes a spill file
# on the same full disk.
MESSAGE_SIZE = 300 * 1024
FULL = (452, b"4.3.1")


def complete(request):
    """Whether the receiver got the whole body. Conduit gives up a POST at
    `delivery.timeout_ms` and closes the connection mid-body when the
    receiver (one Python process validating every 300 KiB body) falls
    behind; such a request is no delivery — the attempt failed and is
    retried — and its cut JSON is no payload to check."""
    return len(request["body"]) == int(request["headers"].get("content-length") or -1)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    with r.lock:
        cut = {q["path"] for q in r.requests if not complete(q)}
        r.unreported = [u for u in r.unreported if u[0] not in cut]
    r.close()


class Campaign:
    """One server, one account and webhook, and the record of every reply."""

    def __init__(self, conduit: Conduit, receiver: Receiver):
        self.conduit = conduit
        self.receiver = receiver
        self.account = conduit.api.new_account()
        self.path = "/" + uuid.uuid4().hex[:12]
        receiver.script(self.path, default=503)
        self.address = f"{unique_local()}@{PUBLIC}"
        self.webhook = make_webhook(conduit.api, self.account, self.address, target_url=receiver.url(self.path))
        self.accepted = []  # Message-IDs that got 250
        self.replies = {}  # (stage, code, enhanced) -> count
        self.lock = threading.Lock()

    def send(self, size=MESSAGE_SIZE):
        """Sends one message; fails the test on anything but 250 or 452 4.3.1."""
        mid, body = message_bytes(size)
        stage, code, text = send(self.conduit.smtp_port, self.address, body)
        text = text if isinstance(text, bytes) else str(text).encode()
        with self.lock:
            key = (stage, code, text[:5].decode(errors="replace"))
            self.replies[key] = self.replies.get(key, 0) + 1
        if stage == "data" and code == 250:
            with self.lock:
                self.accepted.append(mid)
            return 250
        assert (code, text[:5]) == FULL, f"{stage}: {code} {text!r} (only 250 and 452 4.3.1 are allowed)"
        assert stage in ("mail", "data"), (stage, code, text)
        return 452

    def send_until_refused(self, senders=1, limit=400):
        """Sends (from `senders` threads) until one message is refused."""
        refused = threading.Event()
        errors = []

        def run():
            try:
                for _ in range(limit):
                    if refused.is_set():
                        return
                    if self.send() == 452:
                        refused.set()
            except BaseException as error:  # reported by the main thread
                errors.append(error)
                refused.set()

        threads = [threading.Thread(target=run) for _ in range(senders)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        assert refused.is_set(), f"never refused after {limit} messages per sender"

    def api_write(self, template_kb=0):
        """POST /webhooks: (status, body)."""
        fields = {"target_url": self.receiver.url(self.path)}
        if template_kb:
            fields["payload_template"] = '{"x":"' + "t" * (template_kb * 1024 - 16) + '"}'
        status, _, body = self.conduit.api.post(
            "/webhooks", {"address": f"{unique_local('w')}@{PUBLIC}", **fields}, token=self.account.access)
        return status, body

    def wait_accepting(self, size=MESSAGE_SIZE, timeout=60):
        """Until a message gets 250 again (the server recovered by itself)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.send(size) == 250:
                return time.monotonic()
            time.sleep(1)
        lines = [line for line in self.conduit.server.log().splitlines()
                 if any(word in line for word in ("reserve", "full", "storage", "error"))]
        try:  # what LMDB says of its map and free list (lmdb-utils)
            stat = subprocess.run(["mdb_stat", "-efr", str(self.conduit.storage)], capture_output=True, text=True)
            lines.append(stat.stdout + stat.stderr)
        except OSError:
            pass
        pytest.fail(f"mail still refused {timeout}s after space came back; replies {self.replies}; "
                    f"the server said:\n" + "\n".join(lines[-15:]))

    def diagnose(self):
        """The server's storage-related lines and LMDB's view of the map."""
        lines = [line for line in self.conduit.server.log().splitlines()
                 if any(word in line for word in ("reserve", "full", "storage", "error"))][-15:]
        try:  # what LMDB says of its map and free list (lmdb-utils)
            stat = subprocess.run(["mdb_stat", "-ef", str(self.conduit.storage)], capture_output=True, text=True)
            lines.append(stat.stdout + stat.stderr)
        except OSError:
            pass
        return "\n".join(lines)

    def wait_all_delivered(self, timeout=120):
        """Every Message-ID that got 250 reached the webhook (at least once)
        with a 200, and the spool is empty."""
        def delivered():
            return self.delivered_ids().issuperset(self.accepted) and spool_json(self.conduit.config) == []
        assert wait_for(delivered, timeout=timeout, interval=1), self.missing()

    def delivered_ids(self):
        """Message-IDs of the whole bodies the webhook received. With the
        spool empty as well, each of them got a 2xx: a message answered 503
        stays spooled for retries (keep_delivered_hours = 0 removes only
        delivered ones)."""
        with self.receiver.lock:
            requests = [r for r in self.receiver.requests if r["path"] == self.path and complete(r)]
        bad = [r["schema_errors"] for r in requests if r["schema_errors"]]
        assert not bad, f"a whole webhook body does not match the payload schema: {bad[0]}"
        return {payload(r)["message_id"] for r in requests}

    def missing(self):
        keep = os.environ.get("FAULTS_KEEP_DIR")
        if keep:  # for a stall hunt: the whole server log and the spool as it is
            target = Path(keep) / f"stall-{int(time.time())}"
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.conduit.directory / "serve.log", target / "serve.log")
            (target / "spool.json").write_text(json.dumps(spool_json(self.conduit.config), indent=1))
        got = self.delivered_ids()
        lost = [m for m in self.accepted if m not in got]
        spool = spool_json(self.conduit.config)
        states = sorted({str(d.get("state")) for entry in spool for d in entry.get("deliveries", [])})
        lines = [line for line in self.conduit.server.log().splitlines()
                 if " error " in line or " warning " in line or "delivery" in line and "notice" in line]
        return (f"{len(lost)} of {len(self.accepted)} accepted messages never received whole; spool has {len(spool)} "
                f"(delivery states {states}); the server said:\n" + "\n".join(line[:300] for line in lines[-20:]))


def assert_storage_full(status, body):
    assert status == 507, (status, body)
    assert body and body.get("code") == "storage_full" and body.get("error"), body


def test_a_full_disk_refuses_with_452_and_507_and_recovers_by_itself(receiver):
    require_root()
    rounds = pick(1, 3)
    senders = pick(1, 4)
    tmp = temporary_directory("disk")
    disk = Tmpfs(40)
    try:
        started = time.monotonic()
        storage = disk.path / "store"
        # A 64 MiB map on a 40 MiB disk: the disk is what runs out.
        conduit = Conduit(Path(tmp.name), storage=storage, extra=DELIVERY,
                          smtp_settings=f'public_domains = ["{PUBLIC}"]')
        try:
            campaign = Campaign(conduit, receiver)
            filler = disk.path / "filler"
            for round_number in range(rounds):
                receiver.script(campaign.path, default=503)
                # Leave ~14 MiB (the store's reserve is 8 MiB): mail fills the rest.
                fill(filler, leave_bytes=14 << 20)
                before = len(campaign.accepted)
                campaign.send_until_refused(senders=senders)
                assert len(campaign.accepted) > before, "no message fit before the disk filled"
                assert "new mail refused: storage below the reserve" in conduit.server.log()

                # Now the very last byte: the reserve is gone too.
                fill(filler, leave_bytes=0)
                assert disk.free_bytes() < 64 * 1024, disk.free_bytes()
                for _ in range(3):
                    assert campaign.send() == 452
                # Below the reserve the API adds nothing (507 at once).
                status, body = campaign.api_write(template_kb=60)
                assert_storage_full(status, body)
                assert campaign.send() == 452
                status, _, _ = conduit.api.get(f"/webhooks/{campaign.webhook['id']}", token=campaign.account.access)
                assert status == 200, "reads must go on with the disk full"
                assert conduit.alive()

                # Space comes back: Conduit notices by itself.
                filler.unlink()
                disk.resize(40 + 8 * (round_number + 1))
                freed = time.monotonic()
                recovered = campaign.wait_accepting()
                print(f"\nround {round_number + 1}: {len(campaign.accepted)} accepted so far, "
                      f"replies {campaign.replies}; "
                      f"250 again {recovered - freed:.1f} s after space came back")
                # (The API's free-room figures are cached for a second too.)
                assert wait_for(lambda: campaign.api_write()[0] == 201, timeout=5, interval=0.5)
                receiver.script(campaign.path, default=200)
                campaign.wait_all_delivered()
            assert conduit.alive()
            print(f"disk full: {rounds} round(s), {len(campaign.accepted)} messages accepted and delivered, "
                  f"{time.monotonic() - started:.0f} s")
        finally:
            conduit.stop()
    finally:
        disk.close()
        tmp.cleanup()


def test_a_full_map_refuses_with_452_and_507_and_recovers_by_itself(receiver):
    tmp = temporary_directory("map")
    try:
        started = time.monotonic()
        # A 2 MiB map: its default reserve is an eighth of it (256 KiB).
        # (map_size_mb = 1, the smallest the config takes, fills the same
        # way but leaves the reserve smaller than the overshoot of one
        # second of mail.)
        conduit = Conduit(Path(tmp.name), extra=DELIVERY, smtp_settings=f'public_domains = ["{PUBLIC}"]',
                          replace=[("map_size_mb = 64\n", "map_size_mb = 2\n")])
        try:
            campaign = Campaign(conduit, receiver)
            # Under data_memory_kb: the map, not the disk, is the limit.
            size = 200 * 1024
            phases = {}
            # One small webhook per round to delete while the store is below the reserve.
            spare = [campaign.api_write()[1]["id"] for _ in range(pick(1, 3))]
            for _ in range(pick(1, 3)):
                receiver.script(campaign.path, default=503)
                before = len(campaign.accepted)
                mark = time.monotonic()
                templates = 0
                for _ in range(100):
                    # The free-room figures are cached for a second: paced
                    # mail stops at MAIL FROM, inside the reserve.
                    time.sleep(1.1)
                    if campaign.send(size) != 452:
                        continue
                    # A 452 at the end of DATA can also mean no run of free
                    # pages long enough for the body (a fragmented free list
                    # above the reserve): then the API may still add data, and
                    # 60 KiB templates take the map down to the reserve.
                    status, body = campaign.api_write(template_kb=60)
                    if status != 201:
                        assert_storage_full(status, body)
                        break
                    templates += 1
                else:
                    pytest.fail("the map never went below the reserve")
                assert len(campaign.accepted) > before
                phases["fill"] = time.monotonic() - mark

                # Below the reserve the API adds nothing (the 507 above), so
                # the reserve stays for the outcomes of the mail already
                # accepted. Reads, sign-in and DELETEs go on: the tenant can
                # get in and free room.
                mark = time.monotonic()
                status, _, _ = conduit.api.get(f"/webhooks/{campaign.webhook['id']}", token=campaign.account.access)
                assert status == 200, "reads must go on below the reserve"
                status, _, session = conduit.api.sign_in(campaign.account.email, campaign.account.password)
                assert status == 200, ("sign-in must go on below the reserve", status, session, campaign.diagnose())
                status, _, body = conduit.api.delete(f"/webhooks/{spare.pop()}", token=campaign.account.access)
                assert status == 204, ("DELETE must go on below the reserve", status, body)
                assert campaign.send(size) == 452
                assert conduit.alive()
                phases["reserve"] = time.monotonic() - mark

                # The webhook comes back: the spool drains by itself into the
                # reserve (outcomes, log rows, deletes), mail flows again.
                mark = time.monotonic()
                receiver.script(campaign.path, default=200)
                campaign.wait_all_delivered()
                phases["drain"] = time.monotonic() - mark
                # A message needs its pages in one run: mail of the size that
                # filled the map finds them (a much bigger one may not, in a
                # map this small, whatever the free list holds in all).
                mark = time.monotonic()
                campaign.wait_accepting(size)
                # (The API's free-room figures are cached for a second too.)
                assert wait_for(lambda: campaign.api_write(template_kb=60)[0] == 201, timeout=5, interval=0.5)
                campaign.wait_all_delivered()
                phases["recovered"] = time.monotonic() - mark
            log = conduit.server.log()
            print(f"\nmap full: {len(campaign.accepted)} messages accepted and delivered, "
                  f"replies {campaign.replies}, {templates} 60 KiB templates fit after the first 452, "
                  f"outcomes that did not fit at first: {log.count('recording a delivery outcome failed')}, "
                  f"recorded in two parts: {log.count('recorded in two transactions')}, "
                  + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
                  + f"; {time.monotonic() - started:.0f} s in all")
            if os.environ.get("FAULTS_VERBOSE"):
                print(campaign.diagnose())
        finally:
            conduit.stop()
    finally:
        tmp.cleanup()
