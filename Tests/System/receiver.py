#!/usr/bin/python3
"""Webhook receiver for the system test, run inside the container as a unit.

Answers every POST with the status in /var/lib/receiver/mode ("200" by
default, "503" to make Conduit keep the mail in its spool). Each attempt is
one line in attempts.log ("STATUS webhook-id"); each accepted body one line
in bodies.jsonl.
"""
import http.server
import os

STATE = "/var/lib/receiver"


def mode() -> int:
    try:
        with open(os.path.join(STATE, "mode")) as f:
            return int(f.read().strip() or "200")
    except FileNotFoundError:
        return 200


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status = mode()
        with open(os.path.join(STATE, "attempts.log"), "a") as f:
            f.write(f"{status} {self.headers.get('webhook-id', '-')}\n")
        if 200 <= status < 300:
            with open(os.path.join(STATE, "bodies.jsonl"), "ab") as f:
                f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


os.makedirs(STATE, exist_ok=True)
http.server.ThreadingHTTPServer(("127.0.0.1", 9000), Handler).serve_forever()
