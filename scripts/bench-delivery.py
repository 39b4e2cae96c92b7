#!/usr/bin/env python3
"""Delivered msg/s of Conduit under the shared peer benchmark, on one core.

Starts a fresh `conduit serve` (its own store, loopback listeners) pinned to
CPU 1 with taskset, an account and a webhook for bench@bench.test that POSTs
to the shared benchmark's receiver, then runs ../shared/bench's harness
against it (`run-bench.sh custom`, generator and receiver on CPU 0) for the
given sizes and concurrencies, and optionally the aiosmtpd bridge in the same
run for a ratio (`--peers aiosmtpd`). Results go to --out-dir (default a
fresh directory under /tmp); the merged table is printed.

Needs the shared benchmark's virtualenv (/tmp/benchvenv): created here from
../shared/bench/requirements-bench.txt when missing.

Usage: bench-delivery.py [--binary .build/release/conduit] [--name conduit]
                         [--sizes 1k] [--concs 20] [--n 5000] [--reps 1]
                         [--peers aiosmtpd] [--receiver-port 18080]"""

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "bench"
VENV = Path("/tmp/benchvenv")
RECEIVER_PORT = 18080


def load_bench_memory():
    """bench-memory.py's helpers (start_conduit, api): one way to start a bench Conduit."""
    spec = importlib.util.spec_from_file_location("bench_memory", ROOT / "scripts" / "bench-memory.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ensure_venv():
    if (VENV / "bin" / "python").exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "-r", str(BENCH / "requirements-bench.txt")], check=True)


def harness(target, out_dir, extra):
    env = dict(os.environ, HARNESS_CPUS="0")
    cmd = [str(BENCH / "run-bench.sh"), target, "--out-dir", str(out_dir), "--no-fault", *extra]
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(ROOT / ".build" / "release" / "conduit"))
    ap.add_argument("--name", default="conduit")
    ap.add_argument("--sizes", default="1k")
    ap.add_argument("--concs", default="20")
    ap.add_argument("--n", default="5000")
    ap.add_argument("--reps", default="1")
    ap.add_argument("--peers", default="", help="comma-separated shared peers to run in the same pass (aiosmtpd)")
    ap.add_argument("--out-dir", default=None)
    ap.add_argument("--quiet-wait", default="20")
    ap.add_argument("--receiver-port", type=int, default=RECEIVER_PORT,
                    help="the harness's webhook receiver port (pick another when two benches share the machine)")
    a = ap.parse_args()
    if not BENCH.exists():
        sys.exit(f"{BENCH} not found: the shared benchmark sits beside the repository")
    ensure_venv()
    bm = load_bench_memory()
    out = Path(a.out_dir or tempfile.mkdtemp(prefix="conduit-bench-"))
    common = ["--sizes", a.sizes, "--concs", a.concs, "--n", a.n, "--reps", a.reps, "--quiet-wait", a.quiet_wait]
    dirs = []
    with tempfile.TemporaryDirectory(prefix="conduit-bench-store-") as tmp:
        directory = Path(tmp)
        proc, api_url, smtp_port = bm.start_conduit(a.binary, directory, max_bytes=10 << 20)
        try:
            subprocess.run(["taskset", "-a", "-p", "-c", "1", str(proc.pid)], check=True, stdout=subprocess.DEVNULL)
            email, password = "bench@example.org", "bench-password-1"
            bm.api(api_url, "POST", "/accounts", {"email": email, "password": password})
            token = bm.api(api_url, "POST", "/sessions", {"email": email, "password": password})["access_token"]
            url = f"http://127.0.0.1:{a.receiver_port}/hook"
            bm.api(api_url, "POST", "/webhooks", {"address": bm.RCPT, "target_url": url}, token=token)
            dirs.append(out / a.name)
            harness("custom", dirs[-1], ["--smtp", f"127.0.0.1:{smtp_port}", "--webhook-url", url,
                                         "--receiver-port", str(a.receiver_port), "--peer-pid", str(proc.pid),
                                         "--name", a.name, *common])
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    for peer in filter(None, a.peers.split(",")):
        dirs.append(out / peer)
        harness(peer, dirs[-1], common)
    subprocess.run([str(VENV / "bin" / "python"), str(BENCH / "report.py"), *map(str, dirs)], check=True)


if __name__ == "__main__":
    main()
