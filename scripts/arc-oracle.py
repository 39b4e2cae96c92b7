#!/usr/bin/env python3
"""Builds ARC chains with dkimpy (the reference ARC signer and verifier),
runs `conduit arc` on each and compares it with `dkim.arc_verify`.

Cases: chains of 1 to 4 hops sealed by dkimpy (RSA-2048 through
dkim.arc_sign; Ed25519 through dkim.ARC(signature_algorithm=ed25519-sha256),
see below), then bodies and headers changed after sealing, broken seals,
cv=fail chains, wrong instance numbers, missing and duplicated ARC fields,
revoked and missing keys (the table and the edits: arc_oracle_cases.py).
Each case states the RFC 8617 §5.2 verdict it
should get (result, instances, oldest-pass); Conduit must give exactly that.
dkimpy's verdict is compared with Conduit's: where they differ, the case
must carry an explanation that the script checks (docs/ARC.md lists them),
otherwise the run fails.

dkimpy 1.1.8 and Ed25519 in ARC: `dkim.arc_sign` always passes rsa-sha256,
`ARC.sign` always reads a PEM RSA key, and `ARC_HASH_ALGORITHMS` holds only
rsa-sha256, so stock dkimpy neither seals nor verifies Ed25519 chains. The
oracle seals them with dkim.ARC(..., signature_algorithm=b"ed25519-sha256")
and a key hook that hands ARC.sign the PyNaCl key (all hashing and
canonicalization stay dkimpy's), and verifies each case twice: stock, and
with ed25519-sha256 added to ARC_HASH_ALGORITHMS ("dkimpy+ed25519").

Keys are served from a zone by ../shared/oracles/dns-serve.py on a free
loopback port; dkimpy reads the same zone through its dnsfunc hook.

Runs inside a virtualenv with pinned PyPI packages (ARC_ORACLE_VENV, default
/tmp/arcoraclevenv; made on first use: dkimpy's ARC signer needs `authres`,
which the shared oracle venv lacks). Standard library otherwise.

Usage: arc-oracle.py [--bin CONDUIT] [--shared DIR] [--outdir DIR] [-v]
Ends with `N passed, N failed` (Conduit against the stated verdicts and
dkimpy), exit 1 on any failure.
"""
import argparse
import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("ARC_ORACLE_VENV", "/tmp/arcoraclevenv"))
PINS = ["dkimpy==1.1.8", "authres==1.2.0", "PyNaCl==1.6.2", "cryptography==50.0.2", "dnslib==0.9.26", "PyYAML==6.0.4"]

sys.path.insert(0, str(REPO / "scripts"))
from oracle_support import DNSServer, ensure_venv  # noqa: E402


ensure_venv("arc-oracle", VENV, PINS, ["authres", "dkim", "dnslib", "nacl", "yaml"])

import dkim  # noqa: E402
import dkim.crypto  # noqa: E402
import nacl.encoding  # noqa: E402
import nacl.signing  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa  # noqa: E402

from arc_oracle_cases import BY_POSITION, ED25519, TERMINATED, cases  # noqa: E402


SAMPLE = (
    b"From: Alice Example <alice@example.com>\r\n"
    b"To: Bob <bob@example.net>\r\n"
    b"Subject: ARC oracle sample   with  spaces\r\n"
    b"Date: Tue, 01 Apr 2025 10:00:00 +0000\r\n"
    b"Message-ID: <arc-oracle-1@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Hello Bob,\r\n"
    b"\r\n"
    b"This line has  two spaces and a trailing tab\t\r\n"
    b"See you on the list.\r\n"
)

# --- keys and zone ---------------------------------------------------------------
ED_MARK = b"ED25519-SEED:"


def make_keys(keydir):
    """RSA-2048 and Ed25519 keys, made once in keydir and reused."""
    keydir.mkdir(parents=True, exist_ok=True)
    rsa_path, ed_path = keydir / "rsa2048.pem", keydir / "ed25519.seed"
    if not rsa_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        rsa_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                               serialization.NoEncryption()))
    if not ed_path.exists():
        key = ed25519.Ed25519PrivateKey.generate()
        ed_path.write_bytes(base64.b64encode(key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                               serialization.NoEncryption())))
    rsa_pem = rsa_path.read_bytes()
    seed = ed_path.read_bytes().strip()
    rsa_pub = serialization.load_pem_private_key(rsa_pem, None).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    ed_pub = ed25519.Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed)).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {
        "rsa": {"priv": rsa_pem, "alg": b"rsa-sha256", "txt": "v=DKIM1; k=rsa; p=" + base64.b64encode(rsa_pub).decode()},
        "ed25519": {"priv": ED_MARK + seed, "alg": b"ed25519-sha256",
                    "txt": "v=DKIM1; k=ed25519; p=" + base64.b64encode(ed_pub).decode()},
    }


# Sealers: (domain, selector, key kind). "revoked" publishes p= empty, "missing" nothing.
SEALERS = {
    "a": ("relay-a.example", "arc1", "rsa"),
    "b": ("list-b.example", "arc2", "rsa"),
    "c": ("forward-c.example", "arc3", "rsa"),
    "d": ("relay-d.example", "arc4", "rsa"),
    "e": ("ed-e.example", "ed1", "ed25519"),
    "f": ("ed-f.example", "ed2", "ed25519"),
    "revoked": ("revoked.example", "gone", "rsa"),
    "missing": ("missing.example", "nokey", "rsa"),
}


def zone_for(keys):
    zone = {}
    for name, (domain, selector, kind) in SEALERS.items():
        if name == "missing":
            continue
        txt = keys[kind]["txt"]
        if name == "revoked":
            txt = "v=DKIM1; k=rsa; p="
        zone[f"{selector}._domainkey.{domain}"] = [{"TXT": txt}]
    return zone


def dnsfunc_for(zone):
    table = {name.lower(): recs[0]["TXT"].encode() for name, recs in zone.items()}

    def lookup(name, timeout=5):
        text = name.decode() if isinstance(name, bytes) else name
        return table.get(text.lower().rstrip("."))
    return lookup


# --- sealing (dkimpy) --------------------------------------------------------------
_parse_pem = dkim.parse_pem_private_key


def _key_hook(data):
    """ARC.sign reads every key as PEM RSA; hand it the PyNaCl key for Ed25519."""
    if data.startswith(ED_MARK):
        return nacl.signing.SigningKey(data[len(ED_MARK):], encoder=nacl.encoding.Base64Encoder)
    return _parse_pem(data)


dkim.parse_pem_private_key = _key_hook


class Verifier:
    """dkim.arc_verify over the zone, stock or with Ed25519 admitted to ARC."""

    def __init__(self, zone):
        self.dnsfunc = dnsfunc_for(zone)

    def __call__(self, msg, ed25519=False):
        if ed25519:
            dkim.crypto.ARC_HASH_ALGORITHMS[b"ed25519-sha256"] = dkim.crypto.HASH_ALGORITHMS[b"ed25519-sha256"]
        try:
            cv, results, reason = dkim.arc_verify(msg, dnsfunc=self.dnsfunc)
        finally:
            dkim.crypto.ARC_HASH_ALGORITHMS.pop(b"ed25519-sha256", None)
        result = {b"pass": "pass", b"fail": "fail", b"none": "none", None: "terminated"}[cv]
        verdict = {"result": result, "reason": reason}
        if result == "pass":
            # results run newest first; §5.2 steps 5-7 from its ams-valid flags.
            verdict["instances"] = len(results)
            verdict["oldest_pass"] = 0
            for entry in results[1:]:
                if not entry["ams-valid"]:
                    verdict["oldest_pass"] = entry["instance"] + 1
                    break
        return verdict


def seal(msg, keys, sealer, claim=None, timestamp=None):
    """msg with one more ARC set by `sealer`; the hop's Authentication-Results
    carries arc=<claim> (none on the first hop), which dkimpy turns into cv=."""
    domain, selector, kind = SEALERS[sealer]
    srv = f"mx.{domain}"
    ar = f"Authentication-Results: {srv}; spf=pass smtp.mailfrom=alice@example.com"
    if claim:
        ar += f"; arc={claim}"
    msg = ar.encode() + b"\r\n" + msg
    key = keys[kind]
    if kind == "rsa":
        fields = dkim.arc_sign(msg, selector.encode(), domain.encode(), key["priv"], srv.encode(), timestamp=timestamp)
    else:
        arc = dkim.ARC(msg, signature_algorithm=key["alg"])
        fields = arc.sign(selector.encode(), domain.encode(), key["priv"], srv.encode(),
                          include_headers=arc.default_sign_headers(), timestamp=timestamp)
    if not fields:
        raise RuntimeError(f"dkimpy did not seal for {sealer} (claim {claim})")
    return b"".join(fields) + msg


def chain(keys, verify, sealers, between=None, edits=None):
    """SAMPLE sealed by each of `sealers` in turn (hops numbered from 1).
    between[k](msg) changes the message in transit after hop k: the next
    sealer finds the chain broken and says cv=fail. edits[k](msg) is hop k
    changing the message itself (a list footer) after checking the chain
    and before sealing: it vouches with cv=pass, older AMSes break."""
    msg = SAMPLE
    for hop, sealer in enumerate(sealers, start=1):
        claim = None
        if hop > 1:
            claim = verify(msg, ed25519=True)["result"]
            claim = "fail" if claim == "terminated" else claim
        if edits and hop in edits:
            msg = edits[hop](msg)
        msg = seal(msg, keys, sealer, claim=claim)
        if between and hop in between:
            msg = between[hop](msg)
    return msg


def build(name, sealers, changes, after, keys, verify):
    between, edits = changes
    return after(chain(keys, verify, list(sealers), between, edits))


# --- Conduit ---------------------------------------------------------------------
LINE = re.compile(r"^(none|pass|fail)(?: instances=(\d+))?(?: oldest_pass=(\d+))?")


def conduit_arc(binary, port, path):
    out = subprocess.run([str(binary), "arc", "--dns", f"127.0.0.1:{port}", str(path)],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"conduit arc {path} exited {out.returncode}: {out.stderr.strip()}")
    line = out.stdout.strip()
    m = LINE.match(line)
    if not m:
        raise RuntimeError(f"conduit arc {path}: unexpected output {line!r}")
    return {"result": m.group(1), "instances": int(m.group(2) or 0),
            "oldest_pass": int(m.group(3)) if m.group(3) is not None else None, "line": line}


def same(a, b):
    """Same verdict: result, and on pass instances and oldest-pass."""
    if a["result"] != b["result"]:
        return False
    return a["result"] != "pass" or (a["instances"], a["oldest_pass"]) == (b["instances"], b["oldest_pass"])


def explained(why, conduit, stock, patched):
    if why is ED25519:
        return same(conduit, patched) and stock["result"] == "fail"
    if why is TERMINATED:
        return stock["result"] == "terminated" and conduit["result"] == "fail"
    if why is BY_POSITION:
        return stock["result"] == "fail" and conduit["result"] == "pass"
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.environ.get("CONDUIT_BIN", str(REPO / ".build" / "debug" / "conduit")))
    ap.add_argument("--shared", default=str(REPO.parent / "shared"))
    ap.add_argument("--outdir", default="/tmp/oracles/arc")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    binary, shared, outdir = Path(a.bin), Path(a.shared), Path(a.outdir)
    for needed in (binary, shared / "oracles" / "dns-serve.py"):
        if not needed.exists():
            sys.exit(f"missing: {needed}")
    keys = make_keys(outdir / "keys")
    zone = zone_for(keys)
    (outdir / "cases").mkdir(parents=True, exist_ok=True)
    (outdir / "zone.json").write_text(json.dumps(zone, indent=1))
    verify = Verifier(zone)

    all_cases = cases()
    passed = failed = agree = explained_count = 0
    manifest = []
    with DNSServer(shared, outdir / "zone.json") as dns:
        for name, sealers, changes, after, (want, instances, oldest), why in all_cases:
            msg = build(name, sealers, changes, after, keys, verify)
            path = outdir / "cases" / f"{name}.eml"
            path.write_bytes(msg)
            expect = {"result": want, "instances": instances, "oldest_pass": oldest}
            conduit = conduit_arc(binary, dns.port, path)
            stock, patched = verify(msg), verify(msg, ed25519=True)
            ok_expected = same(conduit, expect) and (want == "none" or conduit["instances"] == instances)
            agrees = same(conduit, stock)
            ok_dkimpy = agrees or (why is not None and explained(why, conduit, stock, patched))
            agree += agrees
            explained_count += (not agrees) and ok_dkimpy
            ok = ok_expected and ok_dkimpy
            passed += ok
            failed += not ok
            manifest.append({"case": name, "expect": expect, "conduit": conduit["line"], "dkimpy": stock,
                             "dkimpy_ed25519": patched, "explanation": why[1] if why and not agrees else None})
            if a.verbose or not ok:
                mark = "ok  " if ok else "FAIL"
                note = f"  [{why[0]}]" if why and not agrees else ""
                print(f"{mark} {name}: conduit `{conduit['line']}`; dkimpy {stock['result']}"
                      f"{' (' + stock['reason'] + ')' if stock['result'] != 'pass' else ''}; expected {want}{note}")
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1))
    total = len(all_cases)
    print(f"arc cases: {total} ({sum(c[4][0] == 'pass' for c in all_cases)} expected pass)")
    print(f"dkimpy: {agree} agree, {total - agree} differ ({explained_count} explained)")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
