"""Helpers of the environment fault campaigns (disk and map full, idle and
slowloris connections, DNS down/slow/garbage): a Conduit started with
settings in its [storage], [smtp] and [api] tables on a storage directory of
the test's choosing, a tmpfs mount that is always unmounted, SMTP sends that
report every reply instead of raising, and the FAULTS_LONG switch.

It reuses the integration suite's helpers (Tests/Integration goes on
sys.path, as Tests/Faults/conftest.py does too, so this module works with or
without that conftest loaded)."""

import os
import resource
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

INTEGRATION = Path(__file__).resolve().parents[1] / "Integration"
if str(INTEGRATION) not in sys.path:
    sys.path.insert(0, str(INTEGRATION))

from conftest import RunningConduit, write_config  # noqa: E402
from identity_helpers import Client, ServerHandle  # noqa: E402

LONG = os.environ.get("FAULTS_LONG") == "1"


def pick(short, long):
    """The short-form value, or the long-form one under FAULTS_LONG=1."""
    return long if LONG else short


# ---------------------------------------------------------------------------
# Conduit


class Conduit:
    """A running `conduit serve` (`.server`, a RunningConduit), its API
    client (`.api`) and a ServerHandle for the identity helpers (`.handle`)."""

    def __init__(self, directory: Path, storage: Path | None = None, extra="", storage_settings="",
                 smtp_settings="", api_settings="", replace=()):
        config = write_config(directory, extra=extra, storage=storage)
        text = config.read_text()
        for old, new in replace:
            assert old in text, (old, text)
            text = text.replace(old, new, 1)
        for table, settings in (("[storage]\n", storage_settings), ("[smtp]\n", smtp_settings), ("[api]\n", api_settings)):
            if settings:
                assert text.count(table) == 1, text
                text = text.replace(table, table + settings.rstrip("\n") + "\n", 1)
        config.write_text(text)
        self.config = config
        self.directory = directory
        self.storage = storage or directory / "data"
        self.server = RunningConduit(config, directory / "serve.log")
        self.handle = ServerHandle(self.server, directory)
        self.api = Client(self.server.api_url)
        self.handle.api = self.api

    @property
    def smtp_port(self):
        return self.server.smtp_port

    def alive(self):
        return self.server.proc.poll() is None

    def stop(self):
        return self.server.stop()


def temporary_directory(prefix):
    return tempfile.TemporaryDirectory(prefix=f"conduit-faults-{prefix}-")


# ---------------------------------------------------------------------------
# tmpfs


class Tmpfs:
    """A tmpfs of `size_mb` mounted on a fresh directory; `resize` remounts it
    with another size, `free_bytes` is what statvfs says. `close` unmounts
    (lazily if something still holds it) and is safe to call twice."""

    def __init__(self, size_mb):
        self.path = Path(tempfile.mkdtemp(prefix="conduit-faults-tmpfs-"))
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", str(self.path)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            self.path.rmdir()
            pytest.skip(f"cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): {result.stderr.strip()}")
        self.mounted = True

    def resize(self, size_mb):
        subprocess.run(["mount", "-o", f"remount,size={size_mb}m", str(self.path)], check=True, capture_output=True)

    def free_bytes(self):
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def close(self):
        if self.mounted:
            if subprocess.run(["umount", str(self.path)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", str(self.path)], capture_output=True)
            self.mounted = False
            try:
                self.path.rmdir()
            except OSError:
                pass


def require_root():
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root: the disk-full campaign runs as root only")


def fill(path: Path, leave_bytes=0, chunk=1 << 20):
    """Grows the file `path` until its file system has at most `leave_bytes`
    free (0: until ENOSPC). Returns the bytes written."""
    written = 0
    with open(path, "ab", buffering=0) as f:
        while True:
            st = os.statvfs(path.parent)
            free = st.f_bavail * st.f_frsize
            want = min(chunk, free - leave_bytes)
            if want <= 0:
                break
            try:
                written += f.write(b"\0" * want)
            except OSError:
                break
        if leave_bytes == 0:
            # Whatever the last big write could not place, byte pages at a time.
            try:
                while True:
                    written += f.write(b"\0" * 4096)
            except OSError:
                pass
    return written


# ---------------------------------------------------------------------------
# SMTP


def message_bytes(size, subject="fault campaign"):
    """A message of about `size` bytes with a unique Message-ID: (Message-ID, bytes)."""
    mid = f"<{uuid.uuid4().hex}@faults.example>"
    head = f"From: <alice@example.org>\r\nTo: <x@example.org>\r\nSubject: {subject}\r\nMessage-ID: {mid}\r\n\r\n"
    line = "z" * 76 + "\r\n"
    return mid, (head + line * max(1, size // len(line))).encode()


def send(port, rcpt, body, sender="alice@example.org", timeout=60):
    """One SMTP transaction. Returns (stage, code, text): the stage that
    answered something other than 250 ("mail", "rcpt", "data"), or "data"
    with 250 when the message was queued; ("connect", code, text) when the
    greeting was not 220 or the connection failed."""
    try:
        client = smtplib.SMTP("127.0.0.1", port, timeout=timeout)
    except smtplib.SMTPConnectError as error:
        return "connect", error.smtp_code, error.smtp_error
    except OSError as error:
        return "connect", None, str(error).encode()
    try:
        client.ehlo("client.faults.example")
        code, text = client.mail(sender)
        if code != 250:
            return "mail", code, text
        code, text = client.rcpt(rcpt)
        if code != 250:
            return "rcpt", code, text
        code, text = client.data(body)
        return "data", code, text
    except smtplib.SMTPServerDisconnected as error:
        return "disconnected", None, str(error).encode()
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


# ---------------------------------------------------------------------------
# Sockets


def raise_open_file_limit(wanted):
    """Raises this process's soft RLIMIT_NOFILE towards `wanted` (at most the
    hard limit); returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(max(soft, wanted), hard) if hard != resource.RLIM_INFINITY else max(soft, wanted)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def read_until_closed(sock, timeout):
    """Reads `sock` until the peer closes it or `timeout` passes: (closed, bytes)."""
    sock.settimeout(0.5)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True, data
        if not chunk:
            return True, data
        data += chunk
    return False, data


def server_fds(pid):
    """Open file descriptors of process `pid` (from /proc)."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def server_rss_kb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1
