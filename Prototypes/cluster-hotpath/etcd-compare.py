#!/usr/bin/env python3
"""The etcd side of `make bench-cluster` (docs/SCALING.md, section 5): the
same hot path and change notification against Debian's etcd 3.4 on
127.0.0.1, through its HTTP/JSON gRPC gateway (/v3/...), from Python.

What it measures, one request at a time on one kept-alive HTTP connection:
  resolve  one Txn with the three range reads RecipientResolver needs
           (domain by verified name, webhook by address, its policy)
  quota    the compare-and-swap an etcd quota counter needs: a range read of
           the account's charge, then a Txn comparing its mod_revision and
           putting the new value (two round trips, as UPDATE ... RETURNING is
           one in PostgreSQL)
  revoke   a token key deleted, until a watch stream on the token prefix
           (another connection, read by a thread) reports the DELETE

Python's http.client adds its own overhead to every request: compare these
figures with each other and with the PostgreSQL path measured from Swift only
as an order of magnitude. Exit status 1 when a read or the watch misbehaves.
"""

import argparse
import base64
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Etcd:
    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def call(self, path: str, body: dict) -> dict:
        self.connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = self.connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}: {data[:200]!r}")
        return json.loads(data)

    def put(self, key: str, value: str) -> dict:
        return self.call("/v3/kv/put", {"key": b64(key), "value": b64(value)})


def percentile(values, p):
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(-(-p * len(ordered) // 100)) - 1))
    return ordered[rank]


def report(name, micros, **extra):
    fields = {"n": len(micros), "p50_us": round(percentile(micros, 50), 1),
              "p99_us": round(percentile(micros, 99), 1), "mean_us": round(sum(micros) / len(micros), 1)}
    fields.update(extra)
    print("result " + name + " " + " ".join(f"{k}={v}" for k, v in sorted(fields.items())), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10000)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--revocations", type=int, default=300)
    args = parser.parse_args()
    etcd_bin = shutil.which("etcd")
    if not etcd_bin:
        print("etcd-compare: etcd not installed (apt-get install etcd-server)", file=sys.stderr)
        return 1
    work = tempfile.mkdtemp(prefix="conduit-bench-etcd.")
    client_port, peer_port = free_port(), free_port()
    pin = ["taskset", "-c", "0"] if os.cpu_count() and os.cpu_count() >= 2 and shutil.which("taskset") else []
    server = subprocess.Popen(
        pin + [etcd_bin, "--name", "bench", "--data-dir", f"{work}/data",
               "--listen-client-urls", f"http://127.0.0.1:{client_port}",
               "--advertise-client-urls", f"http://127.0.0.1:{client_port}",
               "--listen-peer-urls", f"http://127.0.0.1:{peer_port}",
               "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer_port}",
               "--initial-cluster", f"bench=http://127.0.0.1:{peer_port}"],
        stdout=subprocess.DEVNULL, stderr=open(f"{work}/etcd.log", "w"))
    try:
        return measure(client_port, args)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


def measure(port: int, args) -> int:
    deadline = time.monotonic() + 30
    while True:
        try:
            etcd = Etcd(port)
            etcd.call("/v3/kv/range", {"key": b64("probe")})
            break
        except (OSError, http.client.HTTPException):
            if time.monotonic() > deadline:
                print("etcd-compare: etcd did not start within 30 s", file=sys.stderr)
                return 1
            time.sleep(0.2)
    version = json.loads(urlopen_text(port, "/version"))["etcdserver"]

    started = time.monotonic()
    for i in range(args.accounts):
        account = f"acct{i:08d}"
        etcd.put(f"/conduit/domains/by_verified_name/d{i}.example", json.dumps({"id": f"dom{i:08d}", "account_id": account}))
        policy = f"pol{i:08d}" if i % 2 == 0 else None
        etcd.put(f"/conduit/webhooks/by_address/u{i}@d{i}.example",
                 json.dumps({"id": f"hook{i:08d}", "account_id": account, "active": True, "policy": policy}))
        if policy:
            etcd.put(f"/conduit/smtp_policies/{policy}", json.dumps({"require_smtp_auth": False}))
        etcd.put(f"/conduit/quota/{account}", "0")
        etcd.put(f"/conduit/api_tokens/tok{i:08d}", json.dumps({"account_id": account}))
    print(f"etcd-compare: etcd {version} on 127.0.0.1:{port}, {args.accounts} accounts loaded in "
          f"{time.monotonic() - started:.1f} s", file=sys.stderr)

    rng = random.Random(19)
    resolve, quota = [], []
    for _ in range(args.messages):
        i = rng.randrange(args.accounts)
        before = time.perf_counter()
        answer = etcd.call("/v3/kv/txn", {"success": [
            {"request_range": {"key": b64(f"/conduit/domains/by_verified_name/d{i}.example")}},
            {"request_range": {"key": b64(f"/conduit/webhooks/by_address/u{i}@d{i}.example")}},
            {"request_range": {"key": b64(f"/conduit/smtp_policies/pol{i:08d}")}},
        ]})
        resolve.append((time.perf_counter() - before) * 1e6)
        kvs = answer["responses"][1]["response_range"].get("kvs", [])
        if not kvs or json.loads(base64.b64decode(kvs[0]["value"]))["id"] != f"hook{i:08d}":
            print(f"etcd-compare: u{i}@d{i}.example did not resolve", file=sys.stderr)
            return 1
        key = b64(f"/conduit/quota/acct{i:08d}")
        before = time.perf_counter()
        current = etcd.call("/v3/kv/range", {"key": key})["kvs"][0]
        charged = int(base64.b64decode(current["value"])) + 12 * 1024
        swapped = etcd.call("/v3/kv/txn", {
            "compare": [{"key": key, "target": "MOD", "mod_revision": current["mod_revision"]}],
            "success": [{"request_put": {"key": key, "value": b64(str(charged))}}],
        })
        quota.append((time.perf_counter() - before) * 1e6)
        if not swapped.get("succeeded"):
            print("etcd-compare: quota compare-and-swap lost with no competitor", file=sys.stderr)
            return 1
    report("etcd_resolve_txn", resolve)
    report("etcd_quota_cas", quota)

    # The watch: a streaming POST whose response is one JSON object per line.
    events: list[tuple[str, float]] = []
    arrived = threading.Condition()
    watch = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    watch.request("POST", "/v3/watch", json.dumps({"create_request": {
        "key": b64("/conduit/api_tokens/"), "range_end": b64("/conduit/api_tokens0")}}))
    stream = watch.getresponse()

    def read_events():
        for line in stream:
            at = time.perf_counter()
            result = json.loads(line).get("result", {})
            for event in result.get("events", []):
                with arrived:
                    events.append((base64.b64decode(event["kv"]["key"]).decode(), at))
                    arrived.notify_all()

    threading.Thread(target=read_events, daemon=True).start()
    time.sleep(0.5)  # the created response arrives first; let it.
    revoke = []
    for i in range(args.revocations):
        key = f"/conduit/api_tokens/tok{i:08d}"
        before = time.perf_counter()
        etcd.call("/v3/kv/deleterange", {"key": b64(key)})
        with arrived:
            if not arrived.wait_for(lambda: any(k == key for k, _ in events), timeout=10):
                print(f"etcd-compare: no watch event for {key} within 10 s", file=sys.stderr)
                return 1
            at = next(t for k, t in events if k == key)
            events.clear()
        revoke.append((at - before) * 1e6)
    report("etcd_revocation_watch", revoke)
    return 0


def urlopen_text(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    return connection.getresponse().read().decode()


if __name__ == "__main__":
    sys.exit(main())
