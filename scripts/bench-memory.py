#!/usr/bin/env python3
"""Peak anonymous memory of a running Conduit under large-message SMTP load.

For each case `CxS` (C connections at once, each sending one message of
size S, e.g. `100x1m`, `40x25m`) it starts a fresh `conduit serve` on
loopback with its own store, an HTTP receiver that reads and discards every
POST, an account and a webhook, then drives SMTP with the shared benchmark's
generator (../shared/bench/smtpload.py) and samples `RssAnon` from
/proc/PID/status every 20 ms until every message is delivered (or the
deadline). `RssAnon` is the process's own memory: the LMDB map's file pages
are `RssFile` and are not counted.

Usage: bench-memory.py [--binary .build/release/conduit] [--cases 100x1m,40x25m]
Loopback only; every wait is bounded. Python's standard library only."""

import argparse
import json
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMTPLOAD = ROOT.parent / "shared" / "bench" / "smtpload.py"
DOMAIN = "bench.test"
RCPT = f"bench@{DOMAIN}"


class Receiver:
    """Answers 200 to every POST after reading (and dropping) its body."""

    def __init__(self):
        self.count = 0
        self.bytes = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                left = int(self.headers.get("Content-Length", "0"))
                while left > 0:
                    chunk = self.rfile.read(min(left, 1 << 20))
                    if not chunk:
                        break
                    left -= len(chunk)
                    with receiver.lock:
                        receiver.bytes += len(chunk)
                with receiver.lock:
                    receiver.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()


class Sampler(threading.Thread):
    """Peak RssAnon (bytes) of one process, sampled every 20 ms."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self):
        path = f"/proc/{self.pid}/status"
        while self.running:
            try:
                text = Path(path).read_text()
            except OSError:
                return
            match = re.search(r"^RssAnon:\s+(\d+) kB", text, re.M)
            if match:
                self.peak = max(self.peak, int(match.group(1)) * 1024)
            time.sleep(0.02)


def api(base, method, path, body=None, token=None):
    request = urllib.request.Request(base + "/api/v1" + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def start_conduit(binary, directory, max_bytes):
    config = directory / "conduit.toml"
    config.write_text(f"""
[storage]
path = "{directory / 'data'}"
map_size_mb = 8192
account_quota_mb = 0
[api]
listen = "127.0.0.1:0"
[smtp]
listen = "127.0.0.1:0"
hostname = "mx.bench.test"
max_message_bytes = {max_bytes}
max_connections_per_ip = 1000
public_domains = ["{DOMAIN}"]
[delivery]
allow_private_targets = true
timeout_ms = 120000
[log]
level = "info"
""")
    log = open(directory / "serve.log", "w+")
    proc = subprocess.Popen([binary, "serve", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    api_url = smtp_port = None
    while time.monotonic() < deadline and not (api_url and smtp_port):
        text = (directory / "serve.log").read_text()
        for kind, address in re.findall(r"(API|SMTP) listening .*address=(\S+)", text):
            host, port = address.rsplit(":", 1)
            if kind == "API":
                api_url = f"http://{host}:{port}"
            else:
                smtp_port = int(port)
        if proc.poll() is not None:
            sys.exit(f"conduit exited: {text[-2000:]}")
        time.sleep(0.1)
    if not (api_url and smtp_port):
        proc.kill()
        sys.exit("conduit did not report its listeners within 60 s")
    return proc, api_url, smtp_port


def parse_size(text):
    text = text.lower()
    factor = {"k": 1 << 10, "m": 1 << 20}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * factor)


def run_case(binary, connections, size_text, deadline):
    size = parse_size(size_text)
    receiver = Receiver()
    with tempfile.TemporaryDirectory(prefix="conduit-benchmem-") as tmp:
        directory = Path(tmp)
        proc, api_url, smtp_port = start_conduit(binary, directory, max_bytes=size + (1 << 20))
        try:
            email, password = "bench@example.org", "bench-password-1"
            api(api_url, "POST", "/accounts", {"email": email, "password": password})
            token = api(api_url, "POST", "/sessions", {"email": email, "password": password})["access_token"]
            api(api_url, "POST", "/webhooks", {"address": RCPT, "target_url": receiver.url}, token=token)
            idle = int(re.search(r"^RssAnon:\s+(\d+) kB", Path(f"/proc/{proc.pid}/status").read_text(), re.M).group(1)) * 1024
            sampler = Sampler(proc.pid)
            sampler.start()
            started = time.monotonic()
            load = subprocess.run(
                [sys.executable, str(SMTPLOAD), "--port", str(smtp_port), "-n", str(connections), "-c", str(connections),
                 "--size", str(size), "--rcpt", RCPT, "--deadline", str(deadline), "--io-timeout", "300"],
                capture_output=True, text=True, timeout=deadline + 60,
            )
            accepted_at = time.monotonic()
            while receiver.count < connections and time.monotonic() - started < deadline:
                time.sleep(0.05)
            finished = time.monotonic()
            sampler.running = False
            sampler.join()
            summary = load.stdout.strip().splitlines()[-1] if load.stdout.strip() else load.stderr.strip()[-300:]
            return {
                "case": f"{connections}x{size_text}", "idle_mb": idle / 2**20, "peak_mb": sampler.peak / 2**20,
                "delivered": receiver.count, "sent": connections, "accept_s": accepted_at - started,
                "total_s": finished - started, "generator": summary,
            }
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            receiver.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(ROOT / ".build" / "release" / "conduit"))
    ap.add_argument("--cases", default="100x1m,40x25m")
    ap.add_argument("--deadline", type=float, default=600.0, help="seconds per case, hard stop")
    a = ap.parse_args()
    if not SMTPLOAD.exists():
        sys.exit(f"{SMTPLOAD} not found: the shared benchmark sits beside the repository")
    rows = []
    for case in a.cases.split(","):
        connections, size = case.split("x")
        row = run_case(a.binary, int(connections), size, a.deadline)
        print(json.dumps(row), flush=True)
        rows.append(row)
    print("\n| case | RssAnon idle | peak RssAnon | delivered | accepted after | all delivered after |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['idle_mb']:.0f} MB | {r['peak_mb']:.0f} MB | {r['delivered']}/{r['sent']} | "
              f"{r['accept_s']:.1f} s | {r['total_s']:.1f} s |")


if __name__ == "__main__":
    main()
