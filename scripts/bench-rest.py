#!/usr/bin/env python3
"""Requests/s of Conduit's authenticated `GET /api/v1/webhooks` against a bare
Hummingbird 2 route on the same path, both on one core (issue 15; see
docs/PERFORMANCE.md, "REST (issue 15)").

Starts a fresh release `conduit serve` on its own store under `taskset -c 1`,
creates an account, a session (sign-in) and an API token, and 3 webhooks;
saves the bytes Conduit answers to GET /api/v1/webhooks and starts
`bench-ceiling` (a one-route Hummingbird application answering those same
bytes on the same path) under `taskset -c 1` too. Then, in one pass, wrk
(`taskset -c 0`, 1 thread, 20 connections) runs against: the ceiling, Conduit
with the API token, Conduit with the session's access token — each after a
short warm-up, one run each — and prints req/s, p50, p99 and the ratio to the
ceiling, and each server's CPU time per request (/proc/PID/stat over the run)
with its ratio: on a machine where other work shares the servers' core, req/s
follows the scheduler and the CPU per request is the steadier figure. Any
non-2xx answer fails the run.

`--profile ceiling|token|session` also records that run with
`perf record -F 999 -g -p PID` and writes `perf report --children` (demangled)
to the output directory.

Installs wrk when missing (scripts/install-packages.sh).

Usage: bench-rest.py [--binary .build/release/conduit]
                     [--ceiling .build/release/bench-ceiling]
                     [--duration 10] [--warmup 3] [--connections 20]
                     [--profile ceiling|token|session] [--out-dir DIR]
Loopback only; every wait is bounded. Python's standard library only."""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "bench.test"
PATH = "/api/v1/webhooks"
SERVER_CPU, LOAD_CPU = "1", "0"


def api(base, method, path, body=None, token=None):
    request = urllib.request.Request(base + "/api/v1" + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def wait_for(log_path, proc, pattern, what):
    """The first match of `pattern` in the process's log, within 60 s."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log_path.read_text()
        match = re.search(pattern, text)
        if match:
            return match
        if proc.poll() is not None:
            sys.exit(f"{what} exited: {text[-2000:]}")
        time.sleep(0.1)
    proc.kill()
    sys.exit(f"{what} did not start within 60 s")


def start_conduit(binary, directory):
    """Like bench-memory.py's start_conduit, but started under taskset so the
    process sizes its thread pools for the one core it runs on."""
    config = directory / "conduit.toml"
    config.write_text(f"""
[storage]
path = "{directory / 'data'}"
[api]
listen = "127.0.0.1:0"
[smtp]
listen = "127.0.0.1:0"
hostname = "mx.bench.test"
public_domains = ["{DOMAIN}"]
[log]
level = "info"
""")
    log_path = directory / "serve.log"
    log = open(log_path, "w+")
    proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, binary, "serve", "--config", str(config)],
                            stdout=log, stderr=subprocess.STDOUT)
    match = wait_for(log_path, proc, r"API listening .*address=(\S+)", "conduit")
    return proc, "http://" + match.group(1)


def start_ceiling(binary, directory, body):
    body_path = directory / "body.json"
    body_path.write_bytes(body)
    log_path = directory / "ceiling.log"
    log = open(log_path, "w+")
    proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, binary, str(body_path), "0"],
                            stdout=log, stderr=subprocess.STDOUT)
    match = wait_for(log_path, proc, r"listening port=(\d+)", "bench-ceiling")
    return proc, f"http://127.0.0.1:{match.group(1)}"


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def milliseconds(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def cpu_seconds(pid):
    """User + system CPU time of the whole process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url, token, seconds, connections, pid=None):
    command = ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    cpu_before = cpu_seconds(pid) if pid else 0
    out = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    cpu = cpu_seconds(pid) - cpu_before if pid else 0
    if "Non-2xx" in out or "Socket errors" in out:
        sys.exit(f"wrk saw failures against {url}:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        # The server's CPU per request: unlike req/s, it holds when other
        # processes take part of the server's core.
        "cpu_us": cpu / requests * 1e6,
        "p50": milliseconds(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": milliseconds(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
    }


def profile(pid, seconds, out_dir, name):
    """perf record of `pid` for `seconds`, then the children report, demangled."""
    data = out_dir / f"perf-{name}.data"
    subprocess.run(["perf", "record", "-F", "999", "-g", "-o", str(data), "-p", str(pid), "--", "sleep", str(seconds)],
                   check=True, capture_output=True)
    report = subprocess.run(["perf", "report", "-i", str(data), "--children", "--sort", "symbol", "--stdio", "-g", "none"],
                            check=True, capture_output=True, text=True).stdout
    demangled = subprocess.run(["swift", "demangle", "--simplified"], input=report, capture_output=True, text=True).stdout
    path = out_dir / f"perf-{name}.txt"
    path.write_text(demangled or report)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(ROOT / ".build" / "release" / "conduit"))
    ap.add_argument("--ceiling", default=str(ROOT / ".build" / "release" / "bench-ceiling"))
    ap.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    ap.add_argument("--warmup", type=int, default=3, help="seconds of load before each measured run")
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--profile", choices=["ceiling", "token", "session"])
    ap.add_argument("--out-dir", default=None)
    a = ap.parse_args()
    subprocess.run([str(ROOT / "scripts" / "install-packages.sh"), "wrk"], check=True)
    for binary in (a.binary, a.ceiling):
        if not Path(binary).exists():
            sys.exit(f"{binary} not found: build with `swift build -c release --static-swift-stdlib`")
    if a.profile and not shutil.which("perf"):
        sys.exit("--profile needs perf (linux-perf)")
    out_dir = Path(a.out_dir or tempfile.mkdtemp(prefix="conduit-bench-rest-"))
    out_dir.mkdir(parents=True, exist_ok=True)

    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    with tempfile.TemporaryDirectory(prefix="conduit-bench-rest-") as tmp:
        directory = Path(tmp)
        conduit, base = start_conduit(a.binary, directory)
        ceiling = None
        try:
            email, password = "bench@example.org", "bench-password-1"
            api(base, "POST", "/accounts", {"email": email, "password": password})
            session = json.loads(api(base, "POST", "/sessions", {"email": email, "password": password}))["access_token"]
            token = json.loads(api(base, "POST", "/accounts/me/api-tokens", {"name": "bench"}, token=session))["token"]
            for n in range(3):
                api(base, "POST", "/webhooks", {"address": f"hook{n}@{DOMAIN}", "target_url": f"https://hooks.example.com/{n}"},
                    token=session)
            body = api(base, "GET", "/webhooks", token=token)
            if len(json.loads(body)) != 3:
                sys.exit(f"expected 3 webhooks, got {body[:200]!r}")
            ceiling, ceiling_base = start_ceiling(a.ceiling, directory, body)

            runs = [("bare Hummingbird route", ceiling_base, None, ceiling),
                    ("Conduit, API token", base, token, conduit),
                    ("Conduit, session", base, session, conduit)]
            results = []
            for name, url, bearer, proc in runs:
                wrk(url + PATH, bearer, a.warmup, a.connections)
                kind = "token" if bearer == token else "session" if bearer == session else "ceiling"
                recorder = None
                if a.profile and kind == a.profile:
                    # perf samples while wrk runs, and stops before wrk does (a whole window of load).
                    holder = {}
                    recorder = threading.Thread(target=lambda: holder.update(
                        path=profile(proc.pid, max(1, a.duration - 2), out_dir, kind)))
                    recorder.start()
                results.append((name, wrk(url + PATH, bearer, a.duration, a.connections, proc.pid)))
                if recorder:
                    recorder.join()
                    print(f"profile: {holder.get('path')}", file=sys.stderr)
        finally:
            if ceiling:
                stop(ceiling)
            stop(conduit)

    top = results[0][1]
    print(f"GET {PATH} (3 webhooks), wrk -t1 -c{a.connections} -d{a.duration}s on CPU {LOAD_CPU}, "
          f"servers on CPU {SERVER_CPU}, response {len(body)} bytes; load average before: {load_before}")
    print(f"| {'server':<24} | {'req/s':>9} | {'p50 ms':>7} | {'p99 ms':>7} | {'ratio':>5} | {'CPU µs/req':>10} | {'CPU ratio':>9} |")
    print(f"|{'-' * 26}|{'-' * 10}:|{'-' * 8}:|{'-' * 8}:|{'-' * 6}:|{'-' * 11}:|{'-' * 10}:|")
    for name, r in results:
        print(f"| {name:<24} | {r['rps']:>9,.0f} | {r['p50']:>7.2f} | {r['p99']:>7.2f} | {r['rps'] / top['rps']:>5.2f} "
              f"| {r['cpu_us']:>10.1f} | {top['cpu_us'] / r['cpu_us']:>9.2f} |")
    (out_dir / "results.json").write_text(json.dumps({name: r for name, r in results}, indent=2))


if __name__ == "__main__":
    main()
