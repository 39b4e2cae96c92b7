"""The cases of `make bench` and how each target's ratio is computed
(docs/PERFORMANCE.md, "make bench"). Each case starts its peers fresh,
records its cells in ctx.rows and its targets in ctx.targets."""

from contextlib import contextmanager

from . import harness
from .harness import cell, log, source_cell
from .peers import ConduitPeer, shared_peer

SLOW_MS = 2000
STEADY_CONNS = 100


def count(ctx, full, quick):
    """Message counts: the full figure, or the quick one with --quick."""
    return quick if ctx.quick else full


@contextmanager
def peer(ctx, kind, hooks=None, max_bytes=4 << 20):
    """A fresh peer (after the machine is quiet, bounded), warmed up with
    100 unrecorded 1 KiB messages over 4 connections, stopped afterwards."""
    ctx.wait_quiet()
    if kind == "conduit":
        p = ConduitPeer(ctx, hooks or [(ctx.rcpt, ctx.main.url())], max_bytes=max_bytes)
    else:
        p = shared_peer(ctx, kind, ctx.main.url())
    try:
        if ctx.warmup:
            cell(ctx, p, "1k", 4, ctx.warmup, receivers=[ctx.main] if p.webhook else [], label="warm-up", record=False,
                 rcpt=hooks[0][0] if hooks else None)
        yield p
    finally:
        p.stop()


def add(ctx, row):
    ctx.rows.append(row)
    return row


def target(ctx, name, value, goal, lo=None, hi=None, basis=""):
    """One row of the targets table; met = lo <= value <= hi (either bound optional)."""
    met = None if value is None or (lo is None and hi is None) else (
        (lo is None or value >= lo) and (hi is None or value <= hi))
    ctx.targets.append({"target": name, "value": value, "goal": goal, "met": met, "basis": basis})


def ratio(a, b):
    return a / b if a is not None and b else None


def run_throughput(ctx, size, n_sink, n_src_sink, n_peer, n_aio, n_src_conduit):
    """size × 20 connections: sink (Python generator and smtp-source), the
    aiosmtpd bridge, Conduit (Python generator end to end, smtp-source too)."""
    out = {}
    with peer(ctx, "sink") as p:
        out["sink"] = add(ctx, cell(ctx, p, size, 20, n_sink))
        out["sink_src"] = add(ctx, source_cell(ctx, p, size, 20, n_src_sink))
    if n_aio and "aiosmtpd" in ctx.peers:
        with peer(ctx, "aiosmtpd") as p:
            out["aio"] = add(ctx, cell(ctx, p, size, 20, n_aio, receivers=[ctx.main]))
    with peer(ctx, "conduit") as p:
        out["conduit"] = add(ctx, cell(ctx, p, size, 20, n_peer, receivers=[ctx.main]))
    if n_src_conduit:
        with peer(ctx, "conduit") as p:
            out["conduit_src"] = add(ctx, source_cell(ctx, p, size, 20, n_src_conduit, receiver=ctx.main))
    return out


def case_accept(ctx):
    """1 KiB × 20: delivered ≥ 10× aiosmtpd, ≥ 0.5× smtp-sink's accepted."""
    r = run_throughput(ctx, "1k", count(ctx, 20000, 4000), count(ctx, 50000, 10000), count(ctx, 10000, 2000),
                       count(ctx, 2000, 500), count(ctx, 20000, 3000))
    # the highest accepted rate: the better of the two generators' closed-loop cells
    ctx.max_rate = max(filter(None, [r["conduit"]["accepted_per_s"], r.get("conduit_src", {}).get("accepted_per_s")]))
    c, s = r["conduit"], r["sink"]
    if "aio" in r:
        target(ctx, "1k×20 delivered vs aiosmtpd bridge delivered", ratio(c["delivered_per_s"], r["aio"]["delivered_per_s"]),
               "≥ 10×", lo=10, basis="Python generator, both")
    target(ctx, "1k×20 delivered vs smtp-sink accepted", ratio(c["delivered_per_s"], s["accepted_per_s"]), "≥ 0.5×",
           lo=0.5, basis="Python generator, both")
    cs, ss = r.get("conduit_src"), r["sink_src"]
    if cs:
        target(ctx, "1k×20 delivered vs smtp-sink accepted", ratio(cs["delivered_per_s"], ss["accepted_per_s"]),
               "≥ 0.5×", lo=0.5, basis="smtp-source, both")
        target(ctx, "1k×20 accepted vs smtp-sink accepted (accept-side ceiling)",
               ratio(cs["accepted_per_s"], ss["accepted_per_s"]), "reported", basis="smtp-source, both")


def measure_max_rate(ctx):
    """The highest accepted rate: from case accept when it ran, else a short
    closed-loop 1k × 20 run now (or --rate)."""
    if ctx.rate:
        return ctx.rate
    if not ctx.max_rate:
        with peer(ctx, "conduit") as p:
            ctx.max_rate = add(ctx, cell(ctx, p, "1k", 20, count(ctx, 5000, 2000), receivers=[ctx.main]))["accepted_per_s"]
    return ctx.max_rate


def case_steady(ctx):
    """Open loop at the highest accepted rate for 60 s: the spool backlog
    (accepted − delivered) stays under one second of traffic."""
    rate = measure_max_rate(ctx)
    secs = count(ctx, 60, 10)
    with peer(ctx, "conduit") as p:
        probe = harness.MetricsProbe(p.api_url)
        # 100 connections, so that one transaction at a time per connection
        # can still offer R when replies slow down; the deadline ends the
        # send phase after `secs` (+5 s) whatever was sent by then.
        c = add(ctx, cell(ctx, p, "1k", STEADY_CONNS, int(rate * secs), receivers=[ctx.main], rate=rate, probe=probe,
                          deadline=secs + 5, drain_cap=120))
    send_end = c["accept_window_s"]
    during = [b for t, b in c["backlog"] if t <= send_end]
    peak = max(during, default=None)
    m_peak = max((b for t, b in c["metrics_backlog"] if t <= send_end), default=None)
    c["steady"] = {"offered": rate, "seconds": secs, "conns": STEADY_CONNS, "peak_backlog": peak, "peak_metrics_backlog": m_peak,
                   "series": [(t, b) for t, b in c["backlog"] if t <= send_end + 1]}
    ctx.steady = c
    target(ctx, "%d s at the highest accepted rate: peak backlog" % secs, ratio(peak, c["accepted_per_s"]),
           "< 1 s of traffic", hi=1.0, basis="generator's 250s minus receiver's arrivals, per second; "
           "offered %.0f/s" % rate)
    target(ctx, "  same, from Conduit's /metrics", ratio(m_peak, c["accepted_per_s"]), "< 1 s of traffic", hi=1.0,
           basis="recipients accepted − delivered/failed/dead, 1 Hz")


def case_latency(ctx):
    """DATA end → webhook arrival: p99 at half the max rate (open loop,
    20 connections), p50 with one connection."""
    rate = measure_max_rate(ctx) / 2
    secs = count(ctx, 20, 5)
    with peer(ctx, "conduit") as p:
        c = add(ctx, cell(ctx, p, "1k", 20, int(rate * secs), receivers=[ctx.main], rate=rate,
                          deadline=secs * 3 + 30))
    target(ctx, "DATA end → arrival p99 at half the max rate (ms)", c["data_e2e_p99_ms"], "< 20 ms", hi=20,
           basis="1k, 20 conns, open loop %.0f/s" % rate)
    with peer(ctx, "conduit") as p:
        one = add(ctx, cell(ctx, p, "1k", 1, count(ctx, 1000, 200), receivers=[ctx.main]))
    target(ctx, "DATA end → arrival p50, one connection (ms)", one["data_e2e_p50_ms"], "< 2 ms", hi=2,
           basis="1k, closed loop")
    if "aiosmtpd" in ctx.peers:
        with peer(ctx, "aiosmtpd") as p:
            add(ctx, cell(ctx, p, "1k", 1, count(ctx, 500, 100), receivers=[ctx.main]))


def case_large(ctx):
    """100 KiB × 20: delivered ≥ 0.5× smtp-sink's accepted; 1 MiB × 20 reported."""
    r = run_throughput(ctx, "100k", count(ctx, 3000, 500), count(ctx, 5000, 1000), count(ctx, 2000, 300),
                       count(ctx, 500, 100), count(ctx, 1000, 300))
    target(ctx, "100k×20 delivered vs smtp-sink accepted", ratio(r["conduit"]["delivered_per_s"], r["sink"]["accepted_per_s"]),
           "≥ 0.5×", lo=0.5, basis="Python generator, both")
    if r.get("conduit_src"):
        target(ctx, "100k×20 delivered vs smtp-sink accepted",
               ratio(r["conduit_src"]["delivered_per_s"], r["sink_src"]["accepted_per_s"]), "≥ 0.5×", lo=0.5,
               basis="smtp-source, both")
    m = run_throughput(ctx, "1m", count(ctx, 500, 100), count(ctx, 500, 100), count(ctx, 300, 60),
                       count(ctx, 100, 30), 0)
    target(ctx, "1m×20 delivered vs smtp-sink accepted", ratio(m["conduit"]["delivered_per_s"], m["sink"]["accepted_per_s"]),
           "reported", basis="Python generator, both")


def case_conns(ctx):
    """Flat from 20 to 200 connections (±10 %), back to back, same n."""
    n = count(ctx, 10000, 2000)
    got = {}
    for conc in (20, 200):
        with peer(ctx, "conduit") as p:
            got[conc] = add(ctx, cell(ctx, p, "1k", conc, n, receivers=[ctx.main]))
    target(ctx, "1k delivered at 200 vs 20 connections", ratio(got[200]["delivered_per_s"], got[20]["delivered_per_s"]),
           "0.9–1.1×", lo=0.9, hi=1.1, basis="Python generator")
    target(ctx, "1k accepted at 200 vs 20 connections", ratio(got[200]["accepted_per_s"], got[20]["accepted_per_s"]),
           "0.9–1.1×", lo=0.9, hi=1.1, basis="Python generator")


def case_slowhook(ctx):
    """Ten webhooks (hook0…hook9@bench.test), messages to them in turn; hook9
    posts to a second receiver. All fast, then hook9's receiver answering
    after 2 s: the nine's delivered msg/s (counted on the first receiver)."""
    rcpts = ["hook%d@bench.test" % i for i in range(10)]
    ctx.counted_rcpts = set(rcpts[:9])
    hooks = [(a, ctx.main.url("/hook/%d" % i)) for i, a in enumerate(rcpts[:9])] + [(rcpts[9], ctx.slow.url("/hook/9"))]
    n = count(ctx, 10000, 2000)
    got = {}
    for delay in (0, SLOW_MS):
        ctx.slow.delay_ms = delay
        with peer(ctx, "conduit", hooks=hooks) as p:
            got[delay] = add(ctx, cell(ctx, p, "1k", 20, n, receivers=[ctx.main, ctx.slow], rcpts=rcpts,
                                       count_on=[ctx.main], label="conduit 1k×20, 10 webhooks, hook9 %d ms" % delay))
            got[delay]["slow_hook_delivered"] = ctx.slow.stats(got[delay]["run"])["unique_ok"]
    ctx.slow.delay_ms = 0
    target(ctx, "9 fast webhooks' delivered msg/s, 1 slow (2 s) vs all fast",
           ratio(got[SLOW_MS]["delivered_per_s"], got[0]["delivered_per_s"]), "≥ 0.9×", lo=0.9,
           basis="1k×20, 10 %% of the mail to the slow one; it got %d (all fast: %d) by the nine's end" % (
               got[SLOW_MS]["slow_hook_delivered"], got[0]["slow_hook_delivered"]))


def case_harness_peers(ctx):
    """Peers run by the shared harness itself (run-bench.sh TARGET), e.g.
    fastsmtp: its 1k×20 cell, added to the figures table."""
    import json
    import os
    import subprocess
    for name in ctx.harness_peers:
        out = ctx.out / ("harness-" + name)
        ctx.wait_quiet()
        subprocess.run([str(harness.BENCH / "run-bench.sh"), name, "--out-dir", str(out), "--no-fault",
                        "--sizes", "1k", "--concs", "20", "--reps", "1", "--n", str(count(ctx, 2000, 300)),
                        "--quiet-wait", "0", "--webhook-url", "http://127.0.0.1:%d/hook" % ctx.harness_port,
                        "--peer-port", str(ctx.peer_port)],
                       check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, HARNESS_CPUS=ctx.harness_cpus))
        for line in (out / "cells.jsonl").read_text().splitlines():
            c = json.loads(line)
            if c["rep"]:
                c.update(label="%s 1k×20 (shared harness)" % c["peer"], generator="smtpload.py", rate=0)
                ctx.rows.append(c)
                log(c["label"], "acc/s=%.0f del/s=%.0f" % (c["accepted_per_s"], c["delivered_per_s"] or 0))


CASES = {"accept": case_accept, "steady": case_steady, "latency": case_latency, "large": case_large,
         "conns": case_conns, "slowhook": case_slowhook}
