#!/usr/bin/env python3
"""`make bench`: Conduit and its peers side by side through ../shared/bench.

In one pass, on loopback, every peer pinned to --peer-cpus (1) and the
harness (shared generator smtpload.py, shared receiver.py, Postfix's
smtp-source, this orchestrator) to --harness-cpus (0), it runs the cases
below against postfix's smtp-sink, the shared aiosmtpd bridge and a fresh
Conduit per cell, then prints one table of figures and one table
"target | measured ratio | goal | met?" (docs/PERFORMANCE.md, "make bench").

Cases (--cases, default all):
  accept    1k × 20: sink (Python generator, smtp-source), aiosmtpd, Conduit
            (Python generator end to end; smtp-source for the accept side)
  steady    open loop at Conduit's highest accepted rate for 60 s: backlog
  latency   DATA end → webhook arrival: p99 at half that rate, p50 at c=1
  large     100k × 20 and 1m × 20: sink, aiosmtpd, Conduit
  conns     Conduit 1k at 20 and at 200 connections
  slowhook  ten webhooks, one answering after 2 s, against all fast
--quick: small counts and 10 s / 5 s open-loop phases (a smoke run, ~4 min).
--harness-peers fastsmtp: also the shared harness's own fastsmtp cell (needs
`../shared/bench/run-bench.sh setup --fastsmtp`, a ~10 min CPython build).
Every loop is bounded by a message count and a deadline."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchsuite import cases, harness  # noqa: E402
from benchsuite.harness import log, shared  # noqa: E402
from benchsuite.report import figures_table, steady_table, targets_table  # noqa: E402


class Context:
    def __init__(self, a):
        self.binary, self.quick, self.rate = a.binary, a.quick, a.rate
        self.peer_cpus, self.harness_cpus = a.peer_cpus, a.harness_cpus
        main = harness.free_port(a.receiver_port)
        slow = harness.free_port(main + 1, avoid={main})
        self.harness_port = harness.free_port(main + 2, avoid={main, slow})
        self.ports = (main, slow)
        self.peer_port = harness.free_port(a.peer_port, avoid={main, slow, self.harness_port})
        self.peers = set(filter(None, a.peers.split(",")))
        self.harness_peers = list(filter(None, a.harness_peers.split(",")))
        self.quiet_wait = a.quiet_wait
        self.warmup = 100
        self.rcpt = "bench@bench.test"
        self.counted_rcpts = set()
        self.out = Path(a.out_dir or tempfile.mkdtemp(prefix="conduit-bench-suite-"))
        self.logdir = self.out / "logs"
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.procs = shared.Procs()
        self.rows, self.targets, self.runno = [], [], 0
        self.max_rate, self.steady = None, None

    def wait_quiet(self):
        """Up to --quiet-wait s for the machine to be idle (< 15 % of a core
        used), as the shared orchestrator does before each cell."""
        if self.quiet_wait <= 0:
            return
        t0 = time.monotonic()
        while True:
            b0, s0 = shared.system_busy_ticks(), time.monotonic()
            time.sleep(1.0)
            busy = (shared.system_busy_ticks() - b0) / shared.CLK_TCK / (time.monotonic() - s0) * 100.0
            if busy <= 15.0:
                return
            if time.monotonic() - t0 > self.quiet_wait:
                log("machine still busy (%.0f%% of a core); running anyway" % busy)
                return


def provenance(binary):
    """What was measured: the binary, its version and build time, the repository's commit."""
    def out(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip() or "?"
        except OSError:
            return "?"
    built = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.stat(binary).st_mtime))
    return "Conduit %s (%s, built %s), repository at %s" % (
        out([binary, "version"]), binary, built, out(["git", "-C", str(harness.ROOT), "rev-parse", "--short", "HEAD"]))


def preflight(a):
    missing = [p for p in (harness.VENV_PY, "/usr/sbin/smtp-sink", harness.SOURCE) if not os.path.exists(p)]
    if missing:
        sys.exit("missing %s: run ../shared/bench/run-bench.sh setup (make bench does)" % ", ".join(missing))
    if not os.access(a.binary, os.X_OK):
        sys.exit("no Conduit binary at %s (make release)" % a.binary)
    if not shutil.which("taskset"):
        sys.exit("taskset (util-linux) is needed")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(harness.ROOT / ".build" / "release" / "conduit"))
    ap.add_argument("--cases", default=",".join(cases.CASES), help="comma-separated subset of: " + ", ".join(cases.CASES))
    ap.add_argument("--quick", action="store_true", help="small counts, short open-loop phases")
    ap.add_argument("--rate", type=float, default=0.0,
                    help="the 'highest accepted rate' for steady/latency (default: measured in this pass)")
    ap.add_argument("--peers", default="aiosmtpd", help="shared peers run beside Conduit ('' = none)")
    ap.add_argument("--harness-peers", default="", help="peers run through run-bench.sh itself, e.g. fastsmtp")
    ap.add_argument("--peer-cpus", default="1")
    ap.add_argument("--harness-cpus", default="0")
    ap.add_argument("--peer-port", type=int, default=12525, help="SMTP port of sink/aiosmtpd (another if taken)")
    ap.add_argument("--receiver-port", type=int, default=18080,
                    help="main receiver; +1 the slow one, +2 harness peers (free ones instead when taken)")
    ap.add_argument("--quiet-wait", type=float, default=None, help="s to wait for an idle machine per peer start "
                    "(default 10, 0 with --quick)")
    ap.add_argument("--out-dir", default=None)
    a = ap.parse_args()
    if a.quiet_wait is None:
        a.quiet_wait = 0.0 if a.quick else 10.0
    chosen = [c for c in a.cases.split(",") if c]
    unknown = [c for c in chosen if c not in cases.CASES]
    if unknown:
        ap.error("unknown case(s) %s; choose from %s" % (", ".join(unknown), ", ".join(cases.CASES)))
    preflight(a)
    os.sched_setaffinity(0, {int(c) for c in a.harness_cpus.split(",")})
    ctx = Context(a)
    started = time.monotonic()
    log("results in", ctx.out)
    try:
        ctx.main = harness.Receiver(ctx, ctx.ports[0])
        ctx.slow = harness.Receiver(ctx, ctx.ports[1])
        for name in chosen:
            log("case", name)
            cases.CASES[name](ctx)
        if ctx.harness_peers:
            cases.case_harness_peers(ctx)
    finally:
        ctx.procs.stop_all()
    took = time.monotonic() - started
    text = "\n\n".join(filter(None, [
        "make bench, %s, %s mode, %.0f s; peers on CPU %s, harness on CPU %s%s. %s." % (
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "quick" if ctx.quick else "full", took,
            a.peer_cpus, a.harness_cpus, "" if "aiosmtpd" in ctx.peers else "; aiosmtpd not run",
            provenance(a.binary)),
        figures_table(ctx.rows), steady_table(ctx.steady), targets_table(ctx.targets)]))
    (ctx.out / "report.md").write_text(text + "\n")
    (ctx.out / "targets.json").write_text(json.dumps(ctx.targets, indent=1) + "\n")
    print(text)
    log("report: %s" % (ctx.out / "report.md"))


if __name__ == "__main__":
    main()
