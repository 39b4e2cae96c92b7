#!/usr/bin/env python3
"""Compares `conduit dmarc` (RFC 9989) with independent implementations on
generated cases, every zone served by ../shared/oracles/dns-serve.py on
127.0.0.1 (docs/DMARC.md, "Oracle comparison").

Each case has a fake top-level domain of its own (t0, t1, …) holding
`_dmarc` records at various levels (author domain, names between it and
its organization, the organization, the TLD; psd=y/n; several records;
invalid p with and without rua; t=y, sp, np, adkim/aspf=s), an author domain
that exists or not (np), sometimes more than eight labels long, an SPF record
for the MAIL FROM domain (pass or fail; aligned, relaxed-aligned or not), and
a DKIM signature made by dkimpy (none, aligned or not, valid or broken).

The cases and the RFC reading are in dmarc_oracle_cases.py beside this file.

Three judges, each on what it implements:
  checkdmarc 6.0.4  policy discovery by the RFC 9989 tree walk: where the
                    policy record is (`record=`), and the Organizational
                    Domain (`org=`) where checkdmarc's answer shows it.
  dmarc 1.2.1       the result, the disposition for a failing message (with
                    t=y, allow_policy_test_mode) and SPF/DKIM alignment, given
                    the record checkdmarc found and, as its "public suffix"
                    hook, checkdmarc's Organizational Domains.
  rfc9989           expectations this script computes from the RFC text
                    (written for this comparison, in Python, separately from
                    the Swift code; not an independent implementation).
A disagreement with checkdmarc or dmarc 1.2.1 whose cause is a documented
difference between that library and RFC 9989 is counted as explained and
named; any other disagreement, and any disagreement with rfc9989, fails.

Prints one line per disagreement, a summary per judge, and last
`N passed, N failed` (cases). Exit status 1 when anything is unexplained.
Re-runs itself in /tmp/dmarc-oracle-venv, or $DMARC_ORACLE_VENV (made here with
pip from PyPI, versions pinned in PINS).

Usage: dmarc-oracle.py [--bin CONDUIT] [--shared DIR] [--cases N] [--seed S] [-v]
"""
import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# Standard library only at import time (third-party modules load in the venv).
from dmarc_oracle_cases import IP, Case, Reference, make_key, sign
from oracle_support import DNSServer, ensure_venv

REPO = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("DMARC_ORACLE_VENV", "/tmp/dmarc-oracle-venv"))
PINS = ["checkdmarc==6.0.4", "dmarc==1.2.1", "dkimpy==1.1.8", "dnspython==2.9.2", "dnslib==0.9.26", "PyYAML==6.0.4", "cryptography==50.0.2"]
LINE = re.compile(r"^(\w+) domain=(\S*) policy=(\w+) spf_aligned=(true|false) dkim_aligned=(true|false) org=(\S*) record=(\S*)$")


# ----------------------------------------------------------- the libraries

class Checkdmarc:
    """checkdmarc's policy discovery; its Organizational Domain where it shows."""

    def __init__(self, port):
        from dns.nameserver import Do53Nameserver
        self.nameservers = [Do53Nameserver("127.0.0.1", port)]

    def discover(self, domain):
        """(location, record, org or None) or (None, None, None), or ("error:<name>", …)."""
        from checkdmarc.dmarc import DMARCError, DMARCRecordNotFound, query_dmarc_record
        try:
            found = query_dmarc_record(domain, nameservers=self.nameservers, timeout=2, retries=0,
                                       ignore_unrelated_records=True)
        except DMARCRecordNotFound as error:
            if "does not exist" in str(error) and "DMARC" not in str(error):
                return "error:nxdomain", None, None
            return None, None, None
        except DMARCError as error:
            return f"error:{type(error).__name__}", None, None
        location, record = found["location"], found["record"]
        org = None
        for warning in found["warnings"]:
            m = re.search(r"The Organizational Domain of \S+ is (\S+) ", warning)
            if m:
                org = m.group(1)
        if location != domain and org is None:
            org = location  # the walk's record: at the Organizational Domain
        return location, record, org


def dmarc_library(record, case, location, org_of):
    """dmarc 1.2.1's verdict: (result, disposition, spf_aligned, dkim_aligned) or ("error", why)."""
    import dmarc as lib
    try:
        policy = lib.DMARC().parse_record(record, domain=case.author,
                                          org_domain=location if location != case.author else None, strict=False)
    except Exception as error:  # RecordSyntaxError for a record without a valid p
        return ("error", type(error).__name__)

    class TreeWalkHook:
        """dmarc 1.2.1 consults a public suffix list for relaxed alignment; RFC 9989 replaced the
        list by the tree walk, so the hook answers with checkdmarc's Organizational Domain."""
        @staticmethod
        def get_public_suffix(domain):
            return org_of(domain)

    spf = lib.SPF(domain=case.mail_from_domain, result=lib.SPFResult.PASS if case.spf_pass else lib.SPFResult.FAIL)
    dkims = []
    if case.dkim_domain:
        dkims.append(lib.DKIM(domain=case.dkim_domain, result=lib.DKIMResult.PASS if case.dkim_valid else lib.DKIMResult.FAIL))
    checker = lib.DMARC(publicsuffix=TreeWalkHook())
    res = checker.get_result(policy, auth_results=lib.AuthResults(spf=spf, dkim=dkims), allow_policy_test_mode=True)
    return (res.result.value, res.disposition.value, res.spf is lib.DMARCResult.PASS, res.dkim is lib.DMARCResult.PASS)


# ------------------------------------------------------------------ running

def conduit(binary, port, case, message_path):
    out = subprocess.run([str(binary), "dmarc", "--dns", f"127.0.0.1:{port}", "--ip", IP, "--mail-from", case.mail_from,
                          "--helo", case.helo, "--verbose", str(message_path)], capture_output=True, text=True, timeout=60)
    m = LINE.match(out.stdout.strip())
    if out.returncode != 0 or not m:
        raise RuntimeError(f"conduit dmarc case {case.index}: exit {out.returncode}: {out.stdout!r} {out.stderr!r}")
    result, domain, policy, spf, dkim, org, record = m.groups()
    return dict(result=result, domain=domain, policy=policy, spf=spf == "true", dkim=dkim == "true", org=org,
                record=record, stderr=out.stderr)


def parent_or_child(a, b):
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def explain_checkdmarc(case, theirs):
    """Why checkdmarc's answer differs from RFC 9989 here (docs/DMARC.md), or None."""
    if "author-nxdomain" in case.notes and theirs == "error:nxdomain":
        return "checkdmarc stops at an author domain that does not exist (NXDOMAIN) instead of walking for np"
    if "several" in case.notes and theirs == "error:MultipleDMARCRecords":
        return "checkdmarc raises MultipleDMARCRecords where RFC 9989 §4.10 discards them and walks on"
    return None


def explain_dmarc_library(case, field, ref, got, theirs, org_of):
    """Why dmarc 1.2.1 differs from RFC 9989 here (docs/DMARC.md), or None. Only called
    when Conduit agrees with the RFC reading on `field`."""
    if theirs == "error":
        return "dmarc 1.2.1 requires a valid p (RFC 7489); RFC 9989 reads no p as none, an invalid p with rua as none"
    identifiers = {"spf": [case.mail_from_domain] if case.spf_pass else [],
                   "dkim": [case.dkim_domain] if case.dkim_valid and case.dkim_domain else []}
    candidates = identifiers.get(field, identifiers["spf"] + identifiers["dkim"])
    if field in ("spf", "dkim", "result") and theirs in (True, "pass") and any(
            parent_or_child(case.author, d) or parent_or_child(case.author, org_of(d)) for d in candidates):
        return ("dmarc 1.2.1 aligns (relaxed) names that are parent and child of each other, an RFC 7489 shortcut;"
                " RFC 9989 compares tree-walk Organizational Domains")
    if field == "policy" and "author-nxdomain" in case.notes and ref["record"] != case.author:
        return "dmarc 1.2.1 has no np (RFC 9091/9989 non-existent subdomains)"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.environ.get("CONDUIT_BIN", str(REPO / ".build" / "debug" / "conduit")))
    ap.add_argument("--shared", default=str(REPO.parent / "shared"))
    ap.add_argument("--cases", type=int, default=150)
    ap.add_argument("--seed", type=int, default=9989)
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    binary, shared = Path(a.bin), Path(a.shared)
    for needed in (binary, shared / "oracles" / "dns-serve.py"):
        if not needed.exists():
            sys.exit(f"missing: {needed}")
    ensure_venv("dmarc-oracle", VENV, PINS, ["checkdmarc", "dmarc", "dkim", "dnslib", "yaml", "cryptography"])

    rng = random.Random(a.seed)
    key_pem, key_txt = make_key()
    cases = [Case(i, rng, key_txt) for i in range(a.cases)]
    zone = {}
    for case in cases:
        for name, records in case.zone().items():
            zone.setdefault(name, []).extend(records)
    reference = Reference(zone)
    counts = {judge: [0, 0, 0] for judge in ("inputs", "checkdmarc", "dmarc-1.2.1", "rfc9989")}
    outcomes = []  # agree, explained, unexplained
    explained_reasons = {}
    failed_cases = set()

    def judge(name, case, field, ours, theirs, why):
        if ours == theirs:
            counts[name][0] += 1
            return
        if why:
            counts[name][1] += 1
            explained_reasons[(name, why)] = explained_reasons.get((name, why), 0) + 1
            if a.verbose:
                print(f"explained {name} case {case.index} ({case.shape}) {field}: conduit {ours!r}, {name} {theirs!r}: {why}")
        else:
            counts[name][2] += 1
            failed_cases.add(case.index)
            print(f"DISAGREE {name} case {case.index} ({case.shape}, {case.author}) {field}: conduit {ours!r}, {name} {theirs!r}")

    with tempfile.TemporaryDirectory(prefix="conduit-dmarc-oracle-") as tmp:
        tmp = Path(tmp)
        import json
        (tmp / "zone.json").write_text(json.dumps(zone))
        with DNSServer(shared, tmp / "zone.json", ["--timeout-mode", "servfail"]) as dns:
            checker = Checkdmarc(dns.port)
            org_cache = {}

            def checkdmarc_org(domain):
                if domain not in org_cache:
                    location, _, org = checker.discover(domain)
                    org_cache[domain] = org if org and not org.startswith("error") else (location if location and not location.startswith("error") else domain)
                return org_cache[domain]

            for case in cases:
                message = (f"From: Author <someone@{case.author}>\r\nTo: rcpt@example.org\r\nSubject: case {case.index}\r\n"
                           f"\r\nHello from case {case.index}.\r\n").encode()
                if case.dkim_domain:
                    message = sign(message, case.dkim_domain, key_pem, case.dkim_valid)
                path = tmp / f"case{case.index}.eml"
                path.write_bytes(message)
                got = conduit(binary, dns.port, case, path)
                ref = reference.evaluate(case)
                outcomes.append(got)
                # The inputs DMARC saw are the ones the case was built with (Conduit's SPF and DKIM, on stderr).
                spf_seen = re.search(r"^spf=(\w+)", got["stderr"], re.M)
                dkim_seen = re.findall(r"^dkim=(\w+) header.d=(\S+)", got["stderr"], re.M)
                want_dkim = [("pass" if case.dkim_valid else "fail", case.dkim_domain)] if case.dkim_domain else []
                judge("inputs", case, "spf", spf_seen and spf_seen.group(1), "pass" if case.spf_pass else "fail", None)
                judge("inputs", case, "dkim", dkim_seen, want_dkim, None)
                # Our own reading of the RFC: every field must match.
                for field in ("result", "policy", "spf", "dkim", "org", "record"):
                    judge("rfc9989", case, field, got[field], ref[field], None)
                # checkdmarc: discovery.
                location, record, org = checker.discover(case.author)
                # A DNS failure: Conduit's temperror, checkdmarc's DMARCError, are the same answer.
                ours = "dns-error" if got["result"] == "temperror" else got["record"]
                theirs = "dns-error" if location == "error:DMARCError" else location or ""
                judge("checkdmarc", case, "record", ours, theirs, explain_checkdmarc(case, location))
                if org is not None and got["record"] != case.author:
                    judge("checkdmarc", case, "org", got["org"], org, None)
                # dmarc 1.2.1: result, disposition, alignment, from checkdmarc's record.
                if record is not None:
                    verdict = dmarc_library(record, case, location, checkdmarc_org)
                    if verdict[0] == "error":
                        why = explain_dmarc_library(case, "result", ref, got, "error", checkdmarc_org)
                        judge("dmarc-1.2.1", case, "result", got["result"], "error", why)
                        continue
                    result, disposition, spf_aligned, dkim_aligned = verdict
                    judge("dmarc-1.2.1", case, "result", got["result"], result,
                          explain_dmarc_library(case, "result", ref, got, result, checkdmarc_org) if ref["result"] == got["result"] else None)
                    judge("dmarc-1.2.1", case, "spf", got["spf"], spf_aligned,
                          explain_dmarc_library(case, "spf", ref, got, spf_aligned, checkdmarc_org) if ref["spf"] == got["spf"] else None)
                    judge("dmarc-1.2.1", case, "dkim", got["dkim"], dkim_aligned,
                          explain_dmarc_library(case, "dkim", ref, got, dkim_aligned, checkdmarc_org) if ref["dkim"] == got["dkim"] else None)
                    if got["result"] == "fail" and result == "fail":
                        judge("dmarc-1.2.1", case, "policy", got["policy"], disposition,
                              explain_dmarc_library(case, "policy", ref, got, disposition, checkdmarc_org) if ref["policy"] == got["policy"] else None)
                else:
                    why = None
                    if (got["record"] or got["result"] == "temperror") and explain_checkdmarc(case, location):
                        why = "checkdmarc found no record to give dmarc 1.2.1 (see its line)"
                    elif got["result"] == "temperror" and location == "error:DMARCError":
                        why = "a DNS failure: checkdmarc raised (agreeing), so dmarc 1.2.1 had no record to evaluate"
                    judge("dmarc-1.2.1", case, "result", got["result"], "none", why)

    for name, (agree, explained, unexplained) in counts.items():
        print(f"{name}: {agree} agree, {explained} explained, {unexplained} unexplained")
    for (name, why), count in sorted(explained_reasons.items()):
        print(f"  {name} ×{count}: {why}")
    tally = {}
    for got in outcomes:
        for key in (f"result={got['result']}", f"policy={got['policy']}", f"spf_aligned={got['spf']}", f"dkim_aligned={got['dkim']}"):
            tally[key] = tally.get(key, 0) + 1
    print("conduit said: " + ", ".join(f"{k} ×{v}" for k, v in sorted(tally.items())))
    shapes = {}
    for case in cases:
        shapes[case.shape] = shapes.get(case.shape, 0) + 1
    print("cases by shape: " + ", ".join(f"{k} {v}" for k, v in shapes.items()))
    print(f"{len(cases) - len(failed_cases)} passed, {len(failed_cases)} failed")
    return 1 if failed_cases else 0


if __name__ == "__main__":
    sys.exit(main())
