#!/usr/bin/env python3
"""Runs `conduit dkim` against the DKIM oracles of ../shared/oracles and
judges it by dkimpy's verdicts.

  matrix   dkim-sign.py (no message: its 96-case matrix of the built-in sample,
           RSA-2048 and Ed25519, simple/relaxed, 12 mutations) writes the
           signed messages, manifest.json (dkimpy's verdict per case) and
           zone.json; the zone is served by dns-serve.py on 127.0.0.1.
  mime     (not part of `all`: slower, and needs apt-get) the same matrix
           over CPython's email test messages (get-mime-corpus.sh); messages
           dkimpy cannot sign (no From) are skipped.
  vectors  get-dkim-vectors.sh fetches the dkimpy 1.1.8 test messages (RFC 8463
           example, Exim ed25519, gmail 2012) and dkimpy-expected.txt;
           dkimpy-zone.json is served the same way.

dkimpy reports only pass or fail (any exception is a fail); its "fail" cases
here are all cryptographic mismatches, so Conduit must say exactly `fail`
there, and `pass` where dkimpy passes. d= and a= are checked too.

Prints the oracle's own closing line as `oracle-NAME: N passed, N failed`
(dkimpy against the expectations stated in the oracle), then
`conduit-NAME: N passed, N failed` (Conduit against dkimpy), and, last, the
total for Conduit as `N passed, N failed`. Exit status 1 when anything
disagrees or cannot run. Standard library only.

Usage: dkim-oracles.py [matrix|vectors|mime|all] [--bin CONDUIT] [--shared DIR]
  CONDUIT defaults to $CONDUIT_BIN, else <repo>/.build/debug/conduit;
  DIR to <repo>/../shared.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from oracle_support import DNSServer  # noqa: E402
LINE = re.compile(r"^(\w+) d=(\S*) s=(\S*) a=(\S*)$")


def conduit_dkim(binary, port, path):
    """Conduit's verdict lines for one message: [(result, d, s, a)]."""
    out = subprocess.run([str(binary), "dkim", "--dns", f"127.0.0.1:{port}", str(path)],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"conduit dkim {path} exited {out.returncode}: {out.stderr.strip()}")
    lines = out.stdout.splitlines()
    if lines == ["none"]:
        return []
    verdicts = []
    for line in lines:
        m = LINE.match(line)
        if not m:
            raise RuntimeError(f"conduit dkim {path}: unexpected line {line!r}")
        verdicts.append(m.groups())
    return verdicts


def run_oracle(cmd, env=None):
    """Runs an oracle script; returns its closing 'N passed, N failed' line."""
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=900)
    lines = [l for l in out.stdout.splitlines() if re.fullmatch(r"\d+ passed, \d+ failed", l.strip())]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {out.returncode}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return lines[-1].strip()


def judge_matrix(binary, shared, outdir):
    """Conduit against one manifest.json written by dkim-sign.py."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    passed = failed = 0
    with DNSServer(shared, outdir / "zone.json") as dns:
        for case in manifest["cases"]:
            got = conduit_dkim(binary, dns.port, outdir / case["file"])
            ok = (len(got) == 1 and got[0][0] == case["expect"] and got[0][1] == manifest["domain"]
                  and got[0][3] == case["algorithm"])
            passed += ok
            failed += not ok
            if not ok:
                print(f"FAIL {case['file']}: conduit {got}, dkimpy {case['expect']}")
    return passed, failed


def matrix(binary, shared, work):
    outdir = work / "matrix"
    print("oracle-matrix: " + run_oracle([sys.executable, str(shared / "oracles" / "dkim-sign.py"), "--outdir", str(outdir)]))
    passed, failed = judge_matrix(binary, shared, outdir)
    print(f"conduit-matrix: {passed} passed, {failed} failed")
    return passed, failed


def mime(binary, shared, work):
    corpus = work / "mime"
    run = subprocess.run(["bash", str(shared / "oracles" / "get-mime-corpus.sh")], capture_output=True, text=True,
                         env={**os.environ, "MIME_CORPORA_DIR": str(corpus)}, timeout=900)
    if run.returncode != 0:
        raise RuntimeError(f"get-mime-corpus.sh failed:\n{run.stderr[-2000:]}")
    passed = failed = skipped = 0
    for message in sorted((corpus / "cpython").glob("msg_*.txt")):
        outdir = work / "mime-matrix" / message.stem
        signed = subprocess.run([sys.executable, str(shared / "oracles" / "dkim-sign.py"), "--matrix", str(message),
                                 "--outdir", str(outdir)], capture_output=True, text=True, timeout=300)
        if not (outdir / "manifest.json").exists():
            skipped += 1  # dkimpy refused to sign it
            continue
        if signed.returncode != 0:
            raise RuntimeError(f"dkim-sign.py disagrees with itself on {message.name}:\n{signed.stderr[-2000:]}")
        p, f = judge_matrix(binary, shared, outdir)
        passed += p
        failed += f
    print(f"conduit-mime: {passed} passed, {failed} failed ({skipped} messages dkimpy cannot sign)")
    return passed, failed


def vectors(binary, shared, work):
    dest = work / "vectors"
    print("oracle-vectors: " + run_oracle(["bash", str(shared / "oracles" / "get-dkim-vectors.sh")],
                                          env={"DKIM_VECTORS_DIR": str(dest)}))
    data = dest / "dkimpy-data"
    passed = failed = 0
    with DNSServer(shared, dest / "dkimpy-zone.json") as dns:
        for line in (dest / "dkimpy-expected.txt").read_text().splitlines():
            name, index, want = line.split()
            got = conduit_dkim(binary, dns.port, data / name)
            index = int(index)
            ok = index < len(got) and got[index][0] == want
            passed += ok
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name} sig{index}: conduit {got[index] if index < len(got) else got}, dkimpy {want}")
    print(f"conduit-vectors: {passed} passed, {failed} failed")
    return passed, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("which", nargs="?", choices=["matrix", "vectors", "mime", "all"], default="all")
    ap.add_argument("--bin", default=os.environ.get("CONDUIT_BIN", str(REPO / ".build" / "debug" / "conduit")))
    ap.add_argument("--shared", default=str(REPO.parent / "shared"))
    a = ap.parse_args()
    binary, shared = Path(a.bin), Path(a.shared)
    for needed in (binary, shared / "oracles" / "dkim-sign.py", shared / "oracles" / "get-dkim-vectors.sh",
                   shared / "oracles" / "dns-serve.py"):
        if not needed.exists():
            sys.exit(f"missing: {needed}")
    total_passed = total_failed = 0
    with tempfile.TemporaryDirectory(prefix="conduit-dkim-oracles-") as tmp:
        for name, run in (("matrix", matrix), ("vectors", vectors), ("mime", mime)):
            if a.which == name or (a.which == "all" and name != "mime"):
                p, f = run(binary, shared, Path(tmp))
                total_passed += p
                total_failed += f
    print(f"{total_passed} passed, {total_failed} failed")
    sys.exit(1 if total_failed else 0)


if __name__ == "__main__":
    main()
