#!/usr/bin/env python3
"""Conduit's own cost per accepted message under 1 KiB × 20 closed-loop load
(docs/PERFORMANCE.md, "SMTP ingress on the event loop").

A fresh Conduit from `scripts/benchsuite` (pinned to CPU 1, generator on
CPU 0) receives N messages; from 2 s into the load, `perf stat -e
task-clock,context-switches -p` counts for 8 s, and Conduit's /metrics gives
the messages accepted in that window. CPU time and context switches are the
process's own, so they move less with a busy machine than msg/s does.

    scripts/bench-ingress-cost.py [--binary .build/release/conduit] [-n 15000]
"""

import argparse
import importlib.util
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from benchsuite import cases, harness  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(HERE.parent / ".build" / "release" / "conduit"))
    ap.add_argument("-n", type=int, default=15000)
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("bench_suite", HERE / "bench-suite.py")
    suite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(suite)
    a = SimpleNamespace(binary=args.binary, quick=True, rate=0.0, peer_cpus="1", harness_cpus="0", receiver_port=18080,
                        peer_port=12525, peers="", harness_peers="", quiet_wait=0.0, out_dir=None)
    os.sched_setaffinity(0, {0})
    ctx = suite.Context(a)
    try:
        ctx.main = harness.Receiver(ctx, ctx.ports[0])
        with cases.peer(ctx, "conduit") as p:
            def accepted():
                text = urllib.request.urlopen(p.api_url + "/metrics", timeout=5).read().decode()
                for line in text.splitlines():
                    if line.startswith("conduit_smtp_messages_accepted_total "):
                        return float(line.rpartition(" ")[2])
                return 0.0

            def window():
                time.sleep(2)
                before = accepted()
                stat = subprocess.run(["perf", "stat", "-x", ",", "-e", "task-clock,context-switches", "-p",
                                       str(p.proc.pid), "--", "sleep", "8"], capture_output=True, text=True)
                n = accepted() - before
                counts = {f[2]: float(f[0]) for f in (line.split(",") for line in stat.stderr.splitlines()) if len(f) > 3}
                cpu, switches = counts.get("task-clock", 0.0), counts.get("context-switches", 0.0)
                print("window: %d accepted, %.0f ms CPU, %d context switches => %.3f ms CPU and %.2f switches per message"
                      % (n, cpu, switches, cpu / max(n, 1), switches / max(n, 1)), flush=True)

            t = threading.Thread(target=window)
            t.start()
            r = harness.cell(ctx, p, "1k", 20, args.n, receivers=[ctx.main], record=False)
            t.join()
            print("cell: accepted %.0f msg/s, delivered %.0f msg/s, Conduit CPU %.0f %%"
                  % (r["accepted_per_s"], r["delivered_per_s"], r["peer_cpu_pct"]))
    finally:
        ctx.procs.stop_all()


if __name__ == "__main__":
    main()
