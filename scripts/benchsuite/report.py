"""The tables `make bench` prints (markdown)."""

from .harness import shared

fmt = shared.fmt


def figures_table(rows):
    out = ["| cell | generator | n | offered msg/s | accepted msg/s | delivered msg/s | not delivered | "
           "DATA end→POST p50 / p99 ms | MAIL→POST p50 / p99 ms | peer CPU % | peer RSS MB | harness CPU % | other CPU % |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append("| %s | %s | %d | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s | %s | %s |" % (
            r["label"], r.get("generator", "smtpload.py"), r["n"], fmt(r.get("rate")) if r.get("rate") else "max",
            fmt(r.get("accepted_per_s")), fmt(r.get("delivered_per_s")) + (" ¹" if r.get("incomplete") else ""),
            fmt(r.get("lost")),
            fmt(r.get("data_e2e_p50_ms")), fmt(r.get("data_e2e_p99_ms")), fmt(r.get("e2e_p50_ms")),
            fmt(r.get("e2e_p99_ms")), fmt(r.get("peer_cpu_pct")), fmt(r.get("peer_rss_mb")),
            fmt(r.get("harness_cpu_pct")), fmt(r.get("other_cpu_pct"))))
    if any(r.get("incomplete") for r in rows):
        out += ["", "¹ Not every accepted message arrived before the drain gave up (15 s without a POST, or its cap): "
                "delivered msg/s is counted up to the drain's end; 'not delivered' is how many were still missing."]
    return "\n".join(out)


def steady_table(cell):
    """The open-loop steady-state cell's backlog, every 5 s of the send phase."""
    if not cell:
        return ""
    s = cell["steady"]
    metrics = dict((round(t), b) for t, b in cell.get("metrics_backlog", []))
    lines = ["Steady state: offered %.0f msg/s for %d s (1k, %d connections); accepted %s msg/s, delivered %s msg/s. "
             "Backlog = accepted so far − delivered so far (generator's 250s and receiver's arrivals); "
             "Conduit's /metrics view beside it (sampled at 1 Hz, nearest second)." % (
                 s["offered"], s["seconds"], s["conns"], fmt(cell["accepted_per_s"]), fmt(cell["delivered_per_s"])),
             "", "| t s | backlog (msgs) | backlog (s of traffic) | /metrics backlog |", "|---|---|---|---|"]
    rate = cell["accepted_per_s"] or 1
    for t, b in s["series"]:
        if round(t) % 5 == 0 or t == s["series"][-1][0]:
            m = metrics.get(round(t))
            lines.append("| %d | %d | %.2f | %s |" % (round(t), b, b / rate, fmt(int(m)) if m is not None else "–"))
    return "\n".join(lines)


def targets_table(targets):
    if not targets:
        return ""
    out = ["| target | measured ratio | goal | met? | basis |", "|---|---|---|---|---|"]
    for t in targets:
        met = "–" if t["met"] is None else ("yes" if t["met"] else "NO")
        value = fmt(t["value"], 2) if t["value"] is not None else "not measured"
        out.append("| %s | %s | %s | %s | %s |" % (t["target"], value, t["goal"], met, t["basis"]))
    return "\n".join(out)
