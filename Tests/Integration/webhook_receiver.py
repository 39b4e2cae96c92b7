"""A real HTTP server on loopback that records every webhook POST and
answers from a per-path script: a list of (status, headers, delay) taken
in order, then the path's default. Standard library, plus jsonschema: every
default-payload body received is validated against
docs/webhook-payload.schema.json, and a mismatch fails the test that reads
the request (received/wait) or, failing that, the receiver's close()."""

import http.server
import json
import subprocess
import threading
import time
import uuid
from pathlib import Path

from payload_schema import default_payload_errors

ORACLES = Path(__file__).resolve().parents[3] / "shared" / "oracles"


def verify_signature(secret, request, signature=None):
    """The Standard Webhooks library's verdict (../shared/oracles/verify-webhook.py;
    it needs a UTF-8 body) on a received request for `secret`, optionally with
    another `webhook-signature` value: the finished process (returncode 0 =
    verified, 1 = refused)."""
    headers = dict(request["headers"])
    if signature is not None:
        headers["webhook-signature"] = signature
    body_file = Path(f"/tmp/conduit-webhook-{uuid.uuid4().hex}.body")
    body_file.write_bytes(request["body"])
    try:
        args = [str(ORACLES / "verify-webhook.py"), secret, json.dumps(headers), str(body_file)]
        return subprocess.run(args, capture_output=True, text=True, timeout=180)
    finally:
        body_file.unlink()


class Receiver:
    def __init__(self, port=0):
        self.requests = []  # dicts: path, headers (lower-case names), body, at, schema_errors
        self.unreported = []  # schema mismatches no test has been shown yet
        self.scripts = {}  # path -> [(status, headers, delay)]
        self.defaults = {}  # path -> (status, headers, delay); delay may be a threading.Event (a gate)
        self.waiting = 0  # requests that reached a gate
        self.lock = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    script = receiver.scripts.get(self.path) or []
                    status, headers, delay = (
                        script.pop(0) if script else receiver.defaults.get(self.path, (200, {}, 0))
                    )
                if isinstance(delay, threading.Event):
                    with receiver.lock:
                        receiver.waiting += 1
                        receiver.lock.notify_all()
                    delay.wait(30)
                elif delay:
                    time.sleep(delay)
                errors = default_payload_errors(body, self.headers.get("content-type") or "")
                with receiver.lock:
                    receiver.requests.append({
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                        "peer": self.client_address,
                        "gated": isinstance(delay, threading.Event),
                        "at": time.time(),
                        "schema_errors": errors,
                    })
                    if errors:
                        receiver.unreported.append((self.path, errors))
                    receiver.lock.notify_all()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path, *responses, default=None):
        """Responses as status or (status, headers) or (status, headers, delay)."""
        def norm(r):
            if isinstance(r, int):
                return (r, {}, 0)
            return (r[0], r[1] if len(r) > 1 else {}, r[2] if len(r) > 2 else 0)
        with self.lock:
            self.scripts[path] = [norm(r) for r in responses]
            if default is not None:
                self.defaults[path] = norm(default)

    def _checked(self, requests):
        """`requests`, after failing the test if one of them broke the payload schema."""
        bad = [r for r in requests if r["schema_errors"]]
        if bad:
            self.unreported = [u for u in self.unreported if u[0] not in {r["path"] for r in bad}]
            raise AssertionError(f"webhook payload does not match docs/webhook-payload.schema.json on {bad[0]['path']}: {bad[0]['schema_errors']}")
        return requests

    def received(self, path):
        with self.lock:
            return self._checked([r for r in self.requests if r["path"] == path])

    def wait(self, path, count, timeout=60):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                got = [r for r in self.requests if r["path"] == path]
                if len(got) >= count:
                    return self._checked(got)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(got)} of {count} requests on {path} after {timeout}s")
                self.lock.wait(left)

    def wait_gated(self, count, timeout=60):
        """Until `count` requests in all have reached a gate."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.waiting < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.waiting} of {count} requests at the gate after {timeout}s")
                self.lock.wait(left)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        if self.unreported:
            path, errors = self.unreported[0]
            raise AssertionError(f"webhook payload does not match docs/webhook-payload.schema.json on {path}: {errors}")


def payload(request):
    return json.loads(request["body"])
