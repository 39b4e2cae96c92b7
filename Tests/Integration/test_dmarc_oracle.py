"""`conduit dmarc` (RFC 9989) against independent implementations:
scripts/dmarc-oracle.py generates 150 cases, serves them with the shared
dns-serve.py on loopback and compares the binary's lines with checkdmarc
(policy discovery), dmarc 1.2.1 (result, alignment, disposition) and the
script's own reading of the RFC. Every disagreement with a library must be
one docs/DMARC.md explains; none with the RFC reading is allowed. Missing
oracles fail the test: a comparison that did not run is not a pass. Also the
command's own errors: `From:` with no or two addresses, unreadable files."""

import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO, conduit_binary

SHARED = Path(__file__).resolve().parents[3] / "shared"


def test_conduit_dmarc_agrees_with_the_oracles():
    assert (SHARED / "oracles" / "dns-serve.py").exists(), f"missing {SHARED}/oracles/dns-serve.py"
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "dmarc-oracle.py"), "--bin", conduit_binary(), "--shared", str(SHARED)],
        capture_output=True, text=True, timeout=900,
    )
    out = run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert run.returncode == 0, out[-4000:]
    assert lines and lines[-1] == "150 passed, 0 failed", out[-4000:]
    assert "rfc9989: 900 agree, 0 explained, 0 unexplained" in lines, out[-4000:]
    assert "inputs: 300 agree, 0 explained, 0 unexplained" in lines, out[-4000:]
    for judge in ("checkdmarc", "dmarc-1.2.1"):
        summary = next(l for l in lines if l.startswith(judge + ":"))
        agree = int(re.search(r"(\d+) agree", summary).group(1))
        assert agree >= 150 and summary.endswith(" 0 unexplained"), summary


def run_dmarc(tmp_path, message, *args):
    path = tmp_path / "message.eml"
    path.write_bytes(message)
    # Port 9 on loopback: nothing listens, so lookups fail at once (SPF temperror).
    return subprocess.run(
        [conduit_binary(), "dmarc", "--dns", "127.0.0.1:9", "--ip", "192.0.2.7", "--mail-from", "a@example.com",
         "--helo", "mx.example.com", *args, str(path)],
        capture_output=True, text=True, timeout=60,
    )


def test_from_with_two_addresses_or_none_is_permerror(tmp_path):
    for header in (b"From: a@example.com, b@example.org\r\n", b"From: a@example.com\r\nFrom: b@example.com\r\n", b""):
        run = run_dmarc(tmp_path, header + b"Subject: x\r\n\r\nbody\r\n", "--verbose")
        assert run.returncode == 0, run.stderr
        assert run.stdout == "permerror domain= policy=none spf_aligned=false dkim_aligned=false org= record=\n"
        assert "dmarc=permerror:" in run.stderr


def test_unreadable_file_and_bad_address(tmp_path):
    run = subprocess.run([conduit_binary(), "dmarc", "--ip", "192.0.2.7", "--mail-from", "", "--helo", "h",
                          str(tmp_path / "missing.eml")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "cannot read" in run.stderr
    run = run_dmarc(tmp_path, b"From: a@example.com\r\n\r\n", "--ip", "not-an-ip")
    assert run.returncode == 64 and "--ip" in run.stderr
