"""One measured cell: the shared generator (or Postfix's smtp-source) against
a started peer, the shared webhook receiver(s) on the harness core, CPU and
RSS sampled with the shared orchestrator's Sampler.

Everything of ../shared/bench is used as it is (imported or run), never
edited: receiver.py, smtpload.py, bench.py's Sampler/Procs/helpers and its
SinkPeer/AiosmtpdPeer classes. What this adds: the open-loop `--rate` cells
the shared matrix has no switch for, end-of-DATA → arrival latency, the
spool backlog over time, several receivers (one slow), and smtp-source.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BENCH = ROOT.parent / "shared" / "bench"
VENV_PY = os.environ.get("BENCH_PY", "/tmp/benchvenv/bin/python")
MULTIGEN = Path(__file__).resolve().parent / "multigen.py"
sys.path.insert(0, str(BENCH))
import bench as shared  # noqa: E402  (../shared/bench/bench.py, read-only)
from smtpload import parse_size  # noqa: E402,F401

SOURCE = "/usr/sbin/smtp-source"


def log(*args):
    print("[bench-suite %s]" % time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


def free_port(preferred, avoid=()):
    """`preferred` when nothing listens on 127.0.0.1 there, else a free
    ephemeral port: the machine is shared, and another bench's receiver or
    sink on the usual port would otherwise answer in place of ours."""
    for port in (preferred, 0):
        if port in avoid:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise SystemExit("no free loopback port")


class Receiver:
    """One shared receiver.py on the harness CPUs, on a loopback port; ready
    when the receiver answering there reports this process's pid."""

    def __init__(self, ctx, port):
        self.port = port
        self.base = "http://127.0.0.1:%d" % port
        self.proc = ctx.procs.start([VENV_PY, str(BENCH / "receiver.py"), "--port", str(port), "--hosts", "127.0.0.1"],
                                    cpus=ctx.harness_cpus, log_path=str(ctx.logdir / ("receiver-%d.log" % port)))
        end = time.monotonic() + 20
        while True:
            try:
                if self.stats()["pid"] == self.proc.pid:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > end:
                raise SystemExit("receiver on port %d did not start (port taken?)" % port)
            time.sleep(0.2)

    def url(self, path="/hook"):
        return self.base + path

    def reset(self, delay_ms=0):
        shared.http_json(self.base + "/_bench/reset?delay_ms=%g" % delay_ms, method="POST")

    def stats(self, run=None):
        return shared.http_json(self.base + "/_bench/stats" + ("?run=" + run if run else ""))

    def dump(self):
        """[(t_ns, bytes, run, seq, status)] of every POST since the reset."""
        out = []
        for line in shared.http_text(self.base + "/_bench/dump").splitlines():
            t, size, run, seq, status = line.split()
            out.append((int(t), int(size), run, int(seq), int(status)))
        return out


class MetricsProbe(threading.Thread):
    """Conduit's own backlog: recipients accepted minus deliveries finished
    (delivered + failed + dead), scraped from GET /metrics once a second."""

    def __init__(self, api_url):
        super().__init__(daemon=True)
        self.url, self.samples, self.halt = api_url + "/metrics", [], threading.Event()

    def scrape(self):
        with urllib.request.urlopen(self.url, timeout=5) as r:
            text = r.read().decode()
        vals = {}
        for line in text.splitlines():
            if line.startswith("conduit_") and " " in line:
                key, _, v = line.rpartition(" ")
                vals[key] = float(v)
        done = sum(vals.get('conduit_delivery_attempts_total{outcome="%s"}' % o, 0) for o in ("delivered", "failed", "dead"))
        return vals.get("conduit_smtp_recipients_accepted_total", 0) - done

    def run(self):
        while not self.halt.is_set():
            try:
                self.samples.append((time.monotonic_ns(), self.scrape()))
            except OSError:
                pass
            self.halt.wait(1.0)

    def stop(self):
        self.halt.set()
        self.join()


def backlog_series(accept_ts, deliver_ts, t0, t_end, step_ns=int(1e9)):
    """[(seconds since t0, accepted-by-then minus delivered-by-then)] every step."""
    acc, dlv = sorted(accept_ts), sorted(deliver_ts)
    out, i, j, t = [], 0, 0, t0
    while t <= t_end + step_ns:
        while i < len(acc) and acc[i] <= t:
            i += 1
        while j < len(dlv) and dlv[j] <= t:
            j += 1
        out.append(((t - t0) / 1e9, i - j))
        t += step_ns
    return out


def read_tsv(path):
    smtp = {}
    with open(path) as f:
        for line in f:
            seq, t0, tde, t1, code, att = (int(x) for x in line.split())
            smtp[seq] = (t0, tde, t1, code, att)
    return smtp


def drain(receivers, run, want, idle_s, cap_s):
    """Wait until `want` distinct messages of this run arrived 2xx (summed over
    the receivers), or nothing arrived for idle_s, or cap_s passed."""
    t0 = time.monotonic()
    last, changed = -1, t0
    while True:
        got = sum(r.stats(run)["unique_ok"] for r in receivers)
        if got != last:
            last, changed = got, time.monotonic()
        if got >= want or time.monotonic() - changed > idle_s or time.monotonic() - t0 > cap_s:
            return got
        time.sleep(0.25)


def cell(ctx, peer, size, conc, n, receivers=(), rate=0.0, rcpts=None, count_on=None, deadline=300.0,
         drain_cap=180.0, probe=None, label=None, record=True, rcpt=None):
    """Shared generator → peer → receivers. `count_on`: the receivers whose
    deliveries are counted (default all); with `rcpts`, only messages sent to
    recipients whose webhook POSTs to one of them are expected there."""
    ctx.runno += 1
    run = "s%d%s" % (ctx.runno, time.strftime("%H%M%S"))
    for r in receivers:
        r.reset(getattr(r, "delay_ms", 0))
    sampler = shared.Sampler({"peer": peer.roots, "receiver": lambda: [r.proc.pid for r in receivers]})
    sampler.start()
    tsv = ctx.logdir / ("smtp-%s.tsv" % run)
    argv = [VENV_PY, str(MULTIGEN if rcpts else BENCH / "smtpload.py"), "--host", peer.host, "--port", str(peer.port),
            "-n", str(n), "-c", str(conc), "--size", size, "--run", run, "--out", str(tsv),
            "--deadline", str(deadline), "--io-timeout", "120"]
    argv += ["--rcpts", ",".join(rcpts)] if rcpts else ["--rcpt", rcpt or ctx.rcpt]
    if rate:
        argv += ["--rate", "%g" % rate]
    if probe:
        probe.start()
    gen = subprocess.run(["taskset", "-c", ctx.harness_cpus, *argv], capture_output=True, timeout=deadline + 120)
    if not gen.stdout.strip():
        raise SystemExit("generator failed: %s" % gen.stderr.decode()[-2000:])
    summary = json.loads(gen.stdout.decode().strip().splitlines()[-1])
    smtp = read_tsv(tsv)
    accepted = {s for s, v in smtp.items() if v[3] == 250}
    counted = list(count_on or receivers)
    want = len(accepted)
    if rcpts and count_on:
        fast = {i for i, a in enumerate(rcpts) if a in ctx.counted_rcpts}
        want = len([s for s in accepted if s % len(rcpts) in fast])
    if peer.webhook:
        drain(counted, run, want, idle_s=15.0, cap_s=drain_cap)
    t_drained = time.monotonic_ns()
    if probe:
        probe.stop()
    recs = [rec for r in counted for rec in r.dump() if rec[2] == run and 200 <= rec[4] < 300] if peer.webhook else []
    sampler.stop()
    res = analyse(peer, size, conc, n, rate, summary, smtp, accepted, recs, sampler, want, t_drained)
    res["label"] = label or "%s %s×%d%s" % (peer.name, size, conc, " @%g/s" % rate if rate else "")
    res["run"] = run
    if probe:
        t0 = res["_t0"]
        res["metrics_backlog"] = [((t - t0) / 1e9, v) for t, v in probe.samples]
    if not record:
        return res
    with open(ctx.out / "cells.jsonl", "a") as f:
        f.write(json.dumps({k: v for k, v in res.items() if not k.startswith("_")}) + "\n")
    log(res["label"], "acc/s=%s del/s=%s lost=%s e2e(DATA end) p50/p99=%s/%s ms cpu=%s%% harness=%s%%" % (
        shared.fmt(res["accepted_per_s"]), shared.fmt(res["delivered_per_s"]), res["lost"],
        shared.fmt(res["data_e2e_p50_ms"]), shared.fmt(res["data_e2e_p99_ms"]), shared.fmt(res["peer_cpu_pct"]),
        shared.fmt(res["harness_cpu_pct"])))
    return res


def analyse(peer, size, conc, n, rate, gen, smtp, accepted, recs, sampler, want, t_drained):
    """The shared harness's figures, plus DATA end → arrival. A cell whose
    expected messages did not all arrive before the drain gave up (15 s
    without a POST, or its cap) counts its delivered msg/s up to the drain's
    end instead of the last arrival, and is marked incomplete."""
    first_start = min(v[0] for v in smtp.values() if v[0])
    last_accept = max((v[2] for s, v in smtp.items() if v[3] == 250), default=first_start)
    first_arrival = {}
    for t, _, _, seq, _ in sorted(recs):
        first_arrival.setdefault(seq, t)
    delivered = set(first_arrival) & accepted
    last_arrival = max(first_arrival.values(), default=None)
    end = max(last_accept, last_arrival or 0)
    incomplete = bool(peer.webhook and len(delivered) < want)
    delivered_end = t_drained if incomplete else last_arrival
    data_lat = [(first_arrival[s] - smtp[s][1]) / 1e6 for s in delivered]
    mail_lat = [(first_arrival[s] - smtp[s][0]) / 1e6 for s in delivered]
    cpu, rss = sampler.window("peer", first_start, end)
    rcpu, _ = sampler.window("receiver", first_start, end)
    syscpu, _ = sampler.window("_system", first_start, end)
    win = (end - first_start) / 1e9
    hcpu = rcpu + 100.0 * gen.get("gen_cpu_s", 0) / max(win, gen.get("gen_wall_s") or win) if rcpu is not None and win > 0 else None
    acc_s = (last_accept - first_start) / 1e9
    res = {
        "peer": peer.name, "size": size, "conc": conc, "n": n, "rate": rate, "generator": "smtpload.py",
        "accepted": len(accepted), "accepted_per_s": len(accepted) / acc_s if acc_s > 0 else None,
        "delivered": len(delivered) if peer.webhook else None, "expected": want,
        "delivered_per_s": len(delivered) / ((delivered_end - first_start) / 1e9) if peer.webhook and last_arrival else None,
        "lost": (want - len(delivered)) if peer.webhook else None, "incomplete": incomplete,
        "data_e2e_p50_ms": shared.pct(data_lat, 50), "data_e2e_p99_ms": shared.pct(data_lat, 99),
        "e2e_p50_ms": shared.pct(mail_lat, 50), "e2e_p99_ms": shared.pct(mail_lat, 99),
        "peer_cpu_pct": cpu, "peer_rss_mb": rss / 2**20 if rss else None, "harness_cpu_pct": hcpu,
        "other_cpu_pct": syscpu - (cpu or 0) - (hcpu or 0) if syscpu is not None else None,
        "window_s": win, "accept_window_s": acc_s, "_t0": first_start,
    }
    if peer.webhook:
        res["backlog"] = backlog_series([smtp[s][2] for s in accepted], list(first_arrival.values()), first_start, end)
    return res


def source_cell(ctx, peer, size, conc, m, receiver=None, drain_cap=180.0, label=None):
    """Postfix's smtp-source (C, one transaction at a time per session, -d:
    sessions kept open) → peer. Accepted msg/s = m / smtp-source's wall time
    (it exits after the last 250 and aborts on any other reply); with a
    receiver, delivered msg/s = POSTs answered 2xx / (first connect → last)."""
    body = parse_size(size)
    if receiver:
        receiver.reset()
    sampler = shared.Sampler({"peer": peer.roots, "receiver": lambda: [receiver.proc.pid] if receiver else []})
    sampler.start()
    argv = ["taskset", "-c", ctx.harness_cpus, SOURCE, "-d", "-s", str(conc), "-m", str(m), "-l", str(body),
            "-f", "sender@client.test", "-t", ctx.rcpt, "-M", "loadgen.client.test", "%s:%d" % (peer.host, peer.port)]
    t0 = time.monotonic_ns()
    cpu0 = os.times()
    proc = subprocess.run(argv, capture_output=True, timeout=600)
    t1 = time.monotonic_ns()
    cpu1 = os.times()
    gen_cpu = (cpu1.children_user + cpu1.children_system) - (cpu0.children_user + cpu0.children_system)
    ok = proc.returncode == 0
    delivered = last = None
    if receiver and ok:
        end = time.monotonic() + drain_cap
        last_n, changed = -1, time.monotonic()
        while time.monotonic() < end:
            got = receiver.stats()["ok"]
            if got != last_n:
                last_n, changed = got, time.monotonic()
            if got >= m or time.monotonic() - changed > 15:
                break
            time.sleep(0.25)
        arrivals = [r[0] for r in receiver.dump() if 200 <= r[4] < 300]
        delivered, last = len(arrivals), max(arrivals, default=None)
        if delivered < m:  # gave up waiting: count up to the drain's end (see analyse)
            last = time.monotonic_ns()
    sampler.stop()
    end_ns = max(t1, last or 0)
    cpu, rss = sampler.window("peer", t0, end_ns)
    rcpu, _ = sampler.window("receiver", t0, end_ns) if receiver else (0.0, None)
    syscpu, _ = sampler.window("_system", t0, end_ns)
    hcpu = (rcpu or 0.0) + 100.0 * gen_cpu / ((end_ns - t0) / 1e9)
    res = {
        "peer": peer.name, "size": size, "conc": conc, "n": m, "rate": 0, "generator": "smtp-source",
        "label": label or "%s %s×%d smtp-source" % (peer.name, size, conc),
        "accepted": m if ok else 0, "accepted_per_s": m / ((t1 - t0) / 1e9) if ok else None,
        "delivered": delivered, "delivered_per_s": delivered / ((last - t0) / 1e9) if last else None,
        "lost": (m - delivered) if delivered is not None else None,
        "incomplete": delivered is not None and delivered < m,
        "peer_cpu_pct": cpu, "peer_rss_mb": rss / 2**20 if rss else None,
        "harness_cpu_pct": hcpu, "other_cpu_pct": syscpu - (cpu or 0) - hcpu if syscpu is not None else None,
        "window_s": (end_ns - t0) / 1e9,
        "error": None if ok else (proc.stdout + proc.stderr).decode()[-300:],
    }
    with open(ctx.out / "cells.jsonl", "a") as f:
        f.write(json.dumps(res) + "\n")
    log(res["label"], "acc/s=%s del/s=%s rc=%d" % (shared.fmt(res["accepted_per_s"]), shared.fmt(res["delivered_per_s"]),
                                                  proc.returncode))
    return res
