#!/usr/bin/env python3
"""Instructions per authenticated `GET /api/v1/webhooks` (3 webhooks), counted
by callgrind: user-space instructions of the whole server process (event loop
and task threads) per request, for one or more conduit binaries and the
bench-ceiling route. Unlike req/s and CPU time, the count does not move with
the other work on the machine, so it shows what a change to Conduit's own
code did (docs/PERFORMANCE.md, "REST (issue 15)"); kernel time (the socket
writes, wake-ups) is not in it.

The store (account, session, API token, 3 webhooks) is set up once with the
first binary running natively; each binary then serves it under
`valgrind --tool=callgrind` (debug info stripped from a copy first: valgrind
3.19 cannot read a Swift binary's). After start-up work has settled and 300
warm-up requests, the counters are zeroed (`callgrind_control -z`), N
requests are sent one after another on one keep-alive connection (API token,
session, API token again), and the count is dumped: Ir / N.

Usage: bench-rest-callgrind.py [--ceiling .build/release/bench-ceiling]
                               [-n 2000] [--settle 40] BINARY [BINARY...]
Loopback only; every wait is bounded. Python's standard library only."""

import argparse
import glob
import http.client
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("bench_rest", ROOT / "scripts" / "bench-rest.py")
bench_rest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_rest)


def stripped(binary, directory):
    copy = directory / (Path(binary).name + f".{abs(hash(binary))}.stripped")
    shutil.copy(binary, copy)
    subprocess.run(["strip", "--strip-debug", str(copy)], check=True)
    return str(copy)


def callgrind(command, directory, name):
    log = open(directory / f"{name}.log", "w+")
    out = directory / f"{name}.callgrind"
    proc = subprocess.Popen(["taskset", "-c", bench_rest.SERVER_CPU, "valgrind", "--tool=callgrind",
                             f"--callgrind-out-file={out}"] + command, stdout=log, stderr=subprocess.STDOUT)
    return proc, directory / f"{name}.log", out


def requests(port, token, count):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for _ in range(count):
        connection.request("GET", bench_rest.PATH, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{response.status}: {body[:200]!r}")
    connection.close()


def measure(proc, out, port, token, count):
    """Instructions per request over `count` requests, after a warm-up."""
    requests(port, token, 300)
    subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True, capture_output=True, timeout=60)
    requests(port, token, count)
    subprocess.run(["callgrind_control", "-d", "measured", str(proc.pid)], check=True, capture_output=True, timeout=60)
    dump = max(glob.glob(f"{out}.*"), key=os.path.getmtime)
    total = int(re.search(r"^(?:summary|totals): (\d+)", Path(dump).read_text(), re.M).group(1))
    return total / count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--ceiling", default=str(ROOT / ".build" / "release" / "bench-ceiling"))
    ap.add_argument("-n", type=int, default=2000, help="requests per measurement")
    ap.add_argument("--settle", type=int, default=40, help="seconds for start-up work (decoy scrypt hashes) under valgrind")
    a = ap.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="conduit-bench-rest-callgrind-"))
    conduit, base = bench_rest.start_conduit(a.binaries[0], directory)
    try:
        email, password = "bench@example.org", "bench-password-1"
        bench_rest.api(base, "POST", "/accounts", {"email": email, "password": password})
        session = json.loads(bench_rest.api(base, "POST", "/sessions", {"email": email, "password": password}))["access_token"]
        token = json.loads(bench_rest.api(base, "POST", "/accounts/me/api-tokens", {"name": "bench"}, token=session))["token"]
        for n in range(3):
            bench_rest.api(base, "POST", "/webhooks", {"address": f"hook{n}@{bench_rest.DOMAIN}",
                                                       "target_url": f"https://hooks.example.com/{n}"}, token=session)
        body = bench_rest.api(base, "GET", "/webhooks", token=token)
    finally:
        bench_rest.stop(conduit)
    (directory / "body.json").write_bytes(body)
    print(f"GET {bench_rest.PATH} (3 webhooks, {len(body)} bytes), {a.n} requests on one connection; "
          f"user-space instructions per request (callgrind); files in {directory}")
    for index, binary in enumerate(a.binaries):
        proc, log, out = callgrind([stripped(binary, directory), "serve", "--config", str(directory / "conduit.toml")],
                                   directory, f"conduit{index}")
        try:
            port = int(bench_rest.wait_for(log, proc, r"API listening .*address=\S+:(\d+)", "conduit under valgrind").group(1))
            time.sleep(a.settle)
            for kind, bearer in (("API token", token), ("session", session), ("API token", token)):
                print(f"{binary}, {kind}: {measure(proc, out, port, bearer, a.n):,.0f}", flush=True)
        finally:
            bench_rest.stop(proc)
    proc, log, out = callgrind([stripped(a.ceiling, directory), str(directory / "body.json"), "0"], directory, "ceiling")
    try:
        port = int(bench_rest.wait_for(log, proc, r"listening port=(\d+)", "ceiling under valgrind").group(1))
        time.sleep(5)
        print(f"bare Hummingbird route: {measure(proc, out, port, None, a.n):,.0f}", flush=True)
    finally:
        bench_rest.stop(proc)


if __name__ == "__main__":
    main()
