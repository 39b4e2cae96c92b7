"""Shared pieces of the fault campaigns (`make fault-test`, `make faults`).

The campaigns reuse the integration suite's helpers (RunningConduit,
smtp_helpers, webhook_receiver, dns_helpers, identity_helpers) instead of
copying them: Tests/Integration goes on sys.path, and its conftest is loaded
under its own name and re-exported from here. The re-export matters because
pytest imports every directory's conftest.py as the module `conftest`, and
the helpers do `from conftest import ...`: while this directory runs, that
name is this file, so it has to offer the same things.

FAULTS_LONG=1 (what `make faults` sets) selects each campaign's long form;
without it the short regression forms run (`make fault-test`, `make test`)."""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

INTEGRATION = Path(__file__).resolve().parents[1] / "Integration"
if str(INTEGRATION) not in sys.path:
    sys.path.insert(0, str(INTEGRATION))

_spec = importlib.util.spec_from_file_location("conduit_integration_conftest", INTEGRATION / "conftest.py")
_integration = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _integration
_spec.loader.exec_module(_integration)

# What the helpers import from `conftest`, and the integration fixtures
# (receiver, workdir, conduit), which pytest registers from here as well.
REPO = _integration.REPO
RunningConduit = _integration.RunningConduit
conduit_binary = _integration.conduit_binary
write_config = _integration.write_config
run_cli = _integration.run_cli
receiver = _integration.receiver
workdir = _integration.workdir
conduit = _integration.conduit

LONG_MODE = os.environ.get("FAULTS_LONG") == "1"


@pytest.fixture(scope="session")
def long_mode() -> bool:
    """True under `make faults` (FAULTS_LONG=1): run the long campaign."""
    return LONG_MODE
