"""The bridges under test: the shared harness's smtp-sink and aiosmtpd peers
(../shared/bench/bench.py's classes, used as they are) and a fresh Conduit
on its own store, pinned to the peer CPU, with webhooks made through its API."""

import importlib.util
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from .harness import ROOT, shared

DOMAIN = "bench.test"


def shared_peer(ctx, kind, webhook_url=None):
    """bench.py's SinkPeer ("sink") or AiosmtpdPeer ("aiosmtpd"), started on ctx.peer_cpus."""
    a = SimpleNamespace(peer_port=ctx.peer_port, peer_cpus=ctx.peer_cpus, logdir=str(ctx.logdir),
                        webhook_url=webhook_url or "http://127.0.0.1:1/hook")
    peer = {"sink": shared.SinkPeer, "aiosmtpd": shared.AiosmtpdPeer}[kind](a, ctx.procs)
    peer.start()
    return peer


def _bench_memory():
    spec = importlib.util.spec_from_file_location("bench_memory", ROOT / "scripts" / "bench-memory.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ConduitPeer:
    """`conduit serve` on loopback with a fresh store (bench-memory.py's
    start_conduit: 8 GiB map, no quota, private targets allowed), every
    thread pinned to ctx.peer_cpus, one account, and one webhook per
    (address, url) pair."""

    name = "conduit"
    webhook = True

    def __init__(self, ctx, hooks, max_bytes=4 << 20):
        self.bm = _bench_memory()
        ctx.conduits = getattr(ctx, "conduits", 0) + 1
        self.keep_log = ctx.logdir / ("conduit-%d.log" % ctx.conduits)
        self.tmp = tempfile.TemporaryDirectory(prefix="conduit-bench-suite-")
        self.proc, self.api_url, self.port = self.bm.start_conduit(ctx.binary, Path(self.tmp.name), max_bytes=max_bytes)
        self.host = "127.0.0.1"
        try:
            subprocess.run(["taskset", "-a", "-p", "-c", ctx.peer_cpus, str(self.proc.pid)], check=True,
                           stdout=subprocess.DEVNULL)
            email, password = "bench@example.org", "bench-password-1"
            self.bm.api(self.api_url, "POST", "/accounts", {"email": email, "password": password})
            token = self.bm.api(self.api_url, "POST", "/sessions", {"email": email, "password": password})["access_token"]
            for address, url in hooks:
                self.bm.api(self.api_url, "POST", "/webhooks", {"address": address, "target_url": url}, token=token)
            self._wait_idle()
        except BaseException:
            self.stop()
            raise

    def _wait_idle(self):
        """The account's scrypt hash is done once the API answered; give the
        process a moment to settle (bounded) so the first cell starts calm."""
        urllib.request.urlopen(self.api_url + "/healthz", timeout=10).read()
        time.sleep(0.5)

    def roots(self):
        return [self.proc.pid]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        log = Path(self.tmp.name) / "serve.log"
        if log.exists():  # the store goes, its log stays with the results
            shutil.copyfile(log, self.keep_log)
        self.tmp.cleanup()
