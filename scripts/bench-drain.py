#!/usr/bin/env python3
"""Delivery alone: how fast Conduit drains a spool backlog, on one core.

`bench-delivery.py` measures SMTP intake and delivery together, and on a
busy machine the intake often sets the pace. This one fills a spool first
(phase 1, with --fill-binary: every POST is refused at connect, retries
every 1–2 s), points the webhooks at the shared benchmark's receiver and
stops. Then, for each --binary, a fresh process on a copy of that store
(pinned to CPU 1, receivers on CPU 0) does nothing but deliver: the
backlog is all due at once. Reported: delivered msg/s from the first to the
last POST that arrived, per receiver.

--hooks 10 --slow 1: ten webhooks share the mail evenly; the last one's
receiver answers after --slow-ms (2000), the other nine's at once. The
figure to compare is the nine fast webhooks' msg/s against a run with
--slow 0 (all ten fast), which issue 15 wants within 10 %.

Usage: bench-drain.py --fill-binary OLD --binary A [--binary B] [--n 20000]
                      [--hooks 1] [--slow 0] [--slow-ms 2000] [--perf FILE]
Needs ../shared/bench and its virtualenv (/tmp/benchvenv, see bench-delivery.py)."""

import argparse
import importlib.util
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("bench_memory", HERE / "bench-memory.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
RECEIVER = bench.SMTPLOAD.parent / "receiver.py"
VENV_PY = "/tmp/benchvenv/bin/python"
RETRIES = "[delivery]\nretry_initial_ms = 1000\nretry_max_ms = 2000\n"
_write_text = Path.write_text


def _with_fast_retries(self, text, *args, **kwargs):
    """bench-memory.py writes the config and starts at once: refused POSTs
    must retry within 2 s (not the default 30 s), so the backlog is due when
    the drain starts."""
    if self.name == "conduit.toml" and "retry_initial_ms" not in text:
        text = text.replace("[delivery]\n", RETRIES, 1)
    return _write_text(self, text, *args, **kwargs)


Path.write_text = _with_fast_retries


def control(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_bench/{path}", data=b"" if path.startswith("reset") else None, timeout=30) as r:
        return r.read().decode()


def start_receiver(port, delay_ms):
    ready = Path(tempfile.mktemp(prefix="drain-recv-"))
    proc = subprocess.Popen(["taskset", "-c", "0", VENV_PY, str(RECEIVER), "--port", str(port), "--hosts", "127.0.0.1",
                             "--ready-file", str(ready)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    control(port, f"reset?delay_ms={delay_ms}")
    return proc


def records(port):
    """(t_ns, run) of every 2xx answer."""
    out = []
    for line in control(port, "dump").splitlines():
        t, _size, run, _seq, status = line.split()
        if 200 <= int(status) < 300:
            out.append((int(t), run))
    return out


def rate(recs):
    if len(recs) < 2:
        return 0.0
    times = sorted(t for t, _ in recs)
    return (len(times) - 1) / ((times[-1] - times[0]) / 1e9)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def fill(binary, directory, n, hooks, ports):
    proc, api_url, smtp_port = bench.start_conduit(binary, directory, max_bytes=1 << 20)
    try:
        email, password = "bench@example.org", "bench-password-1"
        bench.api(api_url, "POST", "/accounts", {"email": email, "password": password})
        token = bench.api(api_url, "POST", "/sessions", {"email": email, "password": password})["access_token"]
        made = []
        for k in range(hooks):
            address = f"hook{k}@{bench.DOMAIN}"
            made.append(bench.api(api_url, "POST", "/webhooks", {"address": address, "target_url": "http://127.0.0.1:9/hook"}, token=token))
        per = n // hooks
        for k in range(hooks):
            run = "slow" if k == hooks - 1 and hooks > 1 else "fast"
            subprocess.run([sys.executable, str(bench.SMTPLOAD), "--port", str(smtp_port), "-n", str(per), "-c", "20", "--size", "1024",
                            "--rcpt", f"hook{k}@{bench.DOMAIN}", "--run", run, "--seq-base", str(k * per), "--deadline", "600"],
                           capture_output=True, text=True, check=True, timeout=700)
        for k, hook in enumerate(made):
            port = ports[1] if k == hooks - 1 and hooks > 1 else ports[0]
            bench.api(api_url, "PUT", f"/webhooks/{hook['id']}", {"target_url": f"http://127.0.0.1:{port}/hook"}, token=token)
    finally:
        stop(proc)
    return per * hooks


def drain(binary, directory, expected, ports, slow_ms, hooks, perf_file):
    fast = start_receiver(ports[0], 0)
    # The last of several webhooks has its own receiver, slow or not.
    slow = start_receiver(ports[1], slow_ms) if hooks > 1 else None
    time.sleep(2.5)
    log = open(directory / "drain.log", "w")
    proc = subprocess.Popen(["taskset", "-c", "1", binary, "serve", "--config", str(directory / "conduit.toml")], stdout=log, stderr=subprocess.STDOUT)
    perf = None
    try:
        started = time.monotonic()
        if perf_file:
            time.sleep(3)
            perf = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-p", str(proc.pid), "-o", perf_file, "--", "sleep", "10"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        fast_expected = expected if hooks == 1 else expected * (hooks - 1) // hooks
        while time.monotonic() - started < 900:
            got = json.loads(control(ports[0], "stats"))["ok"]
            if got >= fast_expected:
                break
            time.sleep(0.2)
        if perf:
            perf.wait()
        recs = records(ports[0])
        result = {"fast_delivered": len(recs), "fast_msg_s": round(rate(recs), 1),
                  "nine_fast_msg_s": round(rate([r for r in recs if r[1] == "fast"]), 1)}
        if slow:
            result["last_hook_delivered_meanwhile"] = len(records(ports[1]))
        return result, proc.pid
    finally:
        stop(proc)
        for r in (fast, slow):
            if r:
                stop(r)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fill-binary", required=True)
    ap.add_argument("--binary", action="append", required=True)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--hooks", type=int, default=1)
    ap.add_argument("--slow", type=int, default=0, help="1: the last webhook's receiver answers after --slow-ms")
    ap.add_argument("--slow-ms", type=int, default=2000)
    ap.add_argument("--ports", default="18491,18492")
    ap.add_argument("--perf", default=None, help="record a 10 s perf profile of each drain to FILE.<n>")
    a = ap.parse_args()
    ports = [int(p) for p in a.ports.split(",")]
    with tempfile.TemporaryDirectory(prefix="conduit-drain-") as tmp:
        seed = Path(tmp) / "seed"
        seed.mkdir()
        expected = fill(a.fill_binary, seed, a.n, a.hooks, ports)
        for i, binary in enumerate(a.binary):
            work = Path(tmp) / f"run{i}"
            shutil.copytree(seed, work)
            config = work / "conduit.toml"
            config.write_text(config.read_text().replace(str(seed), str(work)))
            result, pid = drain(binary, work, expected, ports, a.slow_ms if a.slow else 0, a.hooks, a.perf and f"{a.perf}.{i}")
            print(json.dumps({"binary": binary, "n": expected, "hooks": a.hooks, "slow": a.slow, "pid": pid, **result}), flush=True)


if __name__ == "__main__":
    main()
