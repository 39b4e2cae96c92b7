"""What the oracle scripts (dkim-oracles.py, dmarc-oracle.py, arc-oracle.py)
share: a pinned PyPI virtualenv the script re-runs itself in, and the shared
dns-serve.py on a free loopback port. Standard library only."""

import importlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def ensure_venv(name, venv, pins, modules):
    """Returns when every one of `modules` imports; otherwise makes `venv`,
    pip-installs `pins` into it and re-runs the script there."""
    try:
        for module in modules:
            importlib.import_module(module)
        return
    except ImportError:
        pass
    python = Path(venv) / "bin" / "python"
    if Path(sys.prefix).resolve() == Path(venv).resolve():
        sys.exit(f"{name}: {venv} lacks its packages ({' '.join(pins)}); remove it and run again")
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *pins], check=True)
    os.execv(str(python), [str(python), str(Path(sys.argv[0]).resolve()), *sys.argv[1:]])


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 (dns-serve.py needs both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port")


class DNSServer:
    """../shared/oracles/dns-serve.py serving `zone` on a free loopback port
    for the length of a `with`. `extra` goes to dns-serve.py (e.g.
    `--timeout-mode servfail`, so a zone's timeouts answer at once)."""

    # The first start may build the oracles' own virtualenv.
    START_TIMEOUT = 300

    def __init__(self, shared, zone, extra=()):
        self.shared, self.zone, self.extra = Path(shared), zone, list(extra)

    def __enter__(self):
        for _ in range(5):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [sys.executable, str(self.shared / "oracles" / "dns-serve.py"), str(self.zone), "-p", str(self.port),
                 *self.extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            deadline = time.monotonic() + self.START_TIMEOUT
            while time.monotonic() < deadline:
                line = self.proc.stdout.readline()
                if not line:
                    break
                if line.startswith("READY"):
                    return self
            self.proc.kill()
            self.proc.wait()
        raise RuntimeError(f"dns-serve.py did not start for {self.zone}")

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
