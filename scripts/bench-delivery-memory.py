#!/usr/bin/env python3
"""Delivery's share of memory: peak RssAnon of a process that only delivers.

`bench-memory.py` measures SMTP intake and delivery together. This one
splits them: phase 1 starts `conduit serve`, points the webhook at a closed
port (every POST is refused at connect, nothing is sent) and sends C
messages of size S (../shared/bench/smtpload.py), so the spool fills while
delivery only retries; then the webhook is pointed at a receiver that reads
and discards every POST, and the process is stopped. Phase 2 starts a fresh
process on the same store, which does nothing but deliver the C messages
(their retries come due as phase 1 scheduled them), and samples its
`RssAnon` every 20 ms until all have arrived. The peak is taken from the
moment the first delivery starts: at start the server hashes a dummy
password (scrypt, 128 MiB for a moment) that has nothing to do with delivery;
the whole-run peak is reported beside it.

Usage: bench-delivery-memory.py [--binary .build/release/conduit] [--cases 40x25m]
Loopback only; every wait is bounded. Python's standard library only."""

import argparse
import importlib.util
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("bench_memory", HERE / "bench-memory.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def restart(binary, directory):
    """`conduit serve` again on the config and store `bench-memory.py`'s
    server left in `directory`, with retries due within 2 s."""
    config = directory / "conduit.toml"
    config.write_text(config.read_text().replace("[delivery]\n", "[delivery]\nretry_initial_ms = 1000\nretry_max_ms = 2000\n", 1))
    log = open(directory / "serve2.log", "w+")
    proc = subprocess.Popen([binary, "serve", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "Conduit ready" not in (directory / "serve2.log").read_text():
        if proc.poll() is not None:
            sys.exit(f"conduit exited: {(directory / 'serve2.log').read_text()[-2000:]}")
        time.sleep(0.02)
    return proc


class Series(bench.Sampler):
    """RssAnon samples with their times, so a window can be picked afterwards."""

    def __init__(self, pid):
        super().__init__(pid)
        self.samples = []

    def run(self):
        path = f"/proc/{self.pid}/status"
        while self.running:
            try:
                text = Path(path).read_text()
            except OSError:
                return
            match = re.search(r"^RssAnon:\s+(\d+) kB", text, re.M)
            if match:
                self.samples.append((time.monotonic(), int(match.group(1)) * 1024))
            time.sleep(0.02)

    def peak_since(self, since=0.0):
        return max((rss for at, rss in self.samples if at >= since), default=0)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def run_case(binary, connections, size_text, deadline):
    size = bench.parse_size(size_text)
    receiver = bench.Receiver()
    with tempfile.TemporaryDirectory(prefix="conduit-benchdel-") as tmp:
        directory = Path(tmp)
        # Phase 1: fill the spool; every POST fails at connect.
        proc, api_url, smtp_port = bench.start_conduit(binary, directory, max_bytes=size + (1 << 20))
        try:
            email, password = "bench@example.org", "bench-password-1"
            bench.api(api_url, "POST", "/accounts", {"email": email, "password": password})
            token = bench.api(api_url, "POST", "/sessions", {"email": email, "password": password})["access_token"]
            hook = bench.api(api_url, "POST", "/webhooks", {"address": bench.RCPT, "target_url": "http://127.0.0.1:9/hook"}, token=token)
            started = time.monotonic()
            subprocess.run(
                [sys.executable, str(bench.SMTPLOAD), "--port", str(smtp_port), "-n", str(connections), "-c", str(connections),
                 "--size", str(size), "--rcpt", bench.RCPT, "--deadline", str(deadline), "--io-timeout", "300"],
                capture_output=True, text=True, timeout=deadline + 60,
            )
            accept_s = time.monotonic() - started
            bench.api(api_url, "PUT", f"/webhooks/{hook['id']}", {"target_url": receiver.url}, token=token)
        finally:
            stop(proc)
        # Phase 2: a fresh process that only delivers.
        proc = restart(binary, directory)
        try:
            idle = int(re.search(r"^RssAnon:\s+(\d+) kB", Path(f"/proc/{proc.pid}/status").read_text(), re.M).group(1)) * 1024
            sampler = Series(proc.pid)
            sampler.start()
            started = time.monotonic()
            first = None
            log = directory / "serve2.log"
            while receiver.count < connections and time.monotonic() - started < deadline:
                if first is None and (receiver.bytes > 0 or "delivery attempt" in log.read_text()):
                    first = time.monotonic()
                time.sleep(0.05)
            total_s = time.monotonic() - started
            sampler.running = False
            sampler.join()
            # The first attempt is logged when it ends; it began at most one
            # POST earlier, so the window opens 1 s before the first sign of it.
            window = (first or started) - 1.0
            return {
                "case": f"{connections}x{size_text}", "accept_s": accept_s, "idle_mb": idle / 2**20,
                "peak_mb": sampler.peak_since(window) / 2**20, "peak_all_mb": sampler.peak_since() / 2**20,
                "window_from_s": window - started, "delivered": receiver.count, "sent": connections,
                "bytes_received_mb": receiver.bytes / 2**20, "deliver_s": total_s,
            }
        finally:
            stop(proc)
            receiver.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(HERE.parent / ".build" / "release" / "conduit"))
    ap.add_argument("--cases", default="40x25m")
    ap.add_argument("--deadline", type=float, default=600.0, help="seconds per phase, hard stop")
    a = ap.parse_args()
    if not bench.SMTPLOAD.exists():
        sys.exit(f"{bench.SMTPLOAD} not found: the shared benchmark sits beside the repository")
    rows = []
    for case in a.cases.split(","):
        connections, size = case.split("x")
        row = run_case(a.binary, int(connections), size, a.deadline)
        print(json.dumps(row), flush=True)
        rows.append(row)
    print("\n| case | RssAnon idle | peak RssAnon while delivering | peak incl. start | delivered | POST bytes | delivered after |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['idle_mb']:.0f} MB | {r['peak_mb']:.0f} MB | {r['peak_all_mb']:.0f} MB | {r['delivered']}/{r['sent']} | "
              f"{r['bytes_received_mb']:.0f} MiB | {r['deliver_s']:.1f} s |")


if __name__ == "__main__":
    main()
