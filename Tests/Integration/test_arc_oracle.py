"""`conduit arc` against dkimpy: scripts/arc-oracle.py seals ARC chains with
dkimpy (RSA and Ed25519, 1 to 4 hops, bodies and headers changed after
sealing, broken seals, cv=fail, wrong instances, missing fields, revoked and
missing keys), serves the keys with ../shared/oracles/dns-serve.py and
compares the built binary with dkim.arc_verify; every difference must be one
docs/ARC.md explains. A missing oracle fails the test: a conformance check
that did not run is not a pass."""

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO, conduit_binary

DNS_SERVE = Path(__file__).resolve().parents[3] / "shared" / "oracles" / "dns-serve.py"


def test_conduit_arc_agrees_with_dkimpy(tmp_path):
    assert DNS_SERVE.exists(), f"missing {DNS_SERVE}"
    # The first run builds the oracle virtualenv from PyPI.
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "arc-oracle.py"), "--bin", conduit_binary(),
         "--shared", str(DNS_SERVE.parents[1]), "--outdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, env=os.environ.copy(),
    )
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-4000:]
    lines = result.stdout.splitlines()
    cases = int(re.fullmatch(r"arc cases: (\d+) \(\d+ expected pass\)", lines[-3]).group(1))
    assert cases >= 30, text
    agree, differ, explained = map(int, re.fullmatch(r"dkimpy: (\d+) agree, (\d+) differ \((\d+) explained\)", lines[-2]).groups())
    assert differ == explained, text
    assert lines[-1] == f"{cases} passed, 0 failed", text
