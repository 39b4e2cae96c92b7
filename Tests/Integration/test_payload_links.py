"""Payloads sized to the receiver (issue 16; docs/DELIVERY.md, "Payloads
sized to the receiver"), through the real binary and a real HTTP receiver:
a webhook with `max_payload_bytes = 65536` gets a body of at most that many
bytes; attachments are replaced by links largest first, and each link,
fetched without Authorization while the POST is in flight, answers the
original bytes with the attachment's Content-Type and Content-Disposition;
a long text is cut and `truncated` set; `json_raw` gives up `raw_base64`
for `raw_url` first; unknown, malformed and other-kind tokens are 404; the
links answer after the delivery while the message is kept
(`keep_delivered_hours`), and 404 once it has left the spool."""

import http.client
import http.server
import json
import socket
import smtplib
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest

from conftest import RunningConduit, write_config
from identity_helpers import Client
from payload_schema import schema_errors
from smtp_helpers import PUBLIC, make_webhook, unique_local

LIMIT = 65536


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url, headers=None):
    """(status, headers, body) of a GET, without Authorization unless given."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class LinkFetchingReceiver:
    """Records each POST and, before answering 200, fetches every link in it
    (what a receiver does with a cut payload; the message is surely still
    spooled while its POST is in flight)."""

    def __init__(self):
        self.posts = []
        self.lock = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                value = json.loads(body)
                urls = [a["url"] for a in value.get("attachments", []) if a.get("url")]
                if value.get("raw_url"):
                    urls.append(value["raw_url"])
                fetched = {url: fetch(url) for url in urls}
                # The same link with a bearer token that means nothing (ignored), and on the other route (404).
                checks = {}
                for url in urls[:1]:
                    token = url.rsplit("/", 1)[1]
                    checks["with_authorization"] = fetch(url, {"Authorization": "Bearer nonsense"})[0]
                    checks["other_route"] = fetch(url.split("/api/v1/")[0] + f"/api/v1/messages/{token}/raw")[0]
                with receiver.lock:
                    receiver.posts.append({"path": self.path, "body": body, "headers": {k.lower(): v for k, v in self.headers.items()}, "fetched": fetched, "checks": checks})
                    receiver.lock.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def wait(self, path, timeout=60):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                got = [p for p in self.posts if p["path"] == path]
                if got:
                    return got[0]
                left = deadline - time.monotonic()
                assert left > 0, f"no POST on {path} after {timeout}s"
                self.lock.wait(left)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def server():
    with tempfile.TemporaryDirectory(prefix="conduit-links-") as name:
        directory = Path(name)
        port = free_port()
        config = write_config(directory, extra="[delivery]\nallow_private_targets = true\n")
        text = config.read_text()
        text = text.replace('listen = "127.0.0.1:0"\n', f'listen = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}/"\n', 1)
        text = text.replace("max_message_bytes = 1048576", "max_message_bytes = 8388608")
        text = text.replace("[smtp]\n", f'[smtp]\npublic_domains = ["{PUBLIC}"]\n', 1)
        config.write_text(text)
        running = RunningConduit(config, directory / "serve.log")
        try:
            assert running.api_url == f"http://127.0.0.1:{port}"
            running.api = Client(running.api_url)
            running.account = running.api.new_account()
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="module")
def links_receiver():
    r = LinkFetchingReceiver()
    yield r
    r.close()


def send(server, receiver, build, account=None, **fields):
    """A webhook limited to LIMIT, a message built by `build(message)` sent to it; its POST and body (with the webhook)."""
    path = "/" + uuid.uuid4().hex[:12]
    local = unique_local()
    account = account or server.account
    webhook = make_webhook(server.api, account, f"{local}@{PUBLIC}", target_url=receiver.url(path), max_payload_bytes=LIMIT, **fields)
    message = EmailMessage()
    message["From"] = "sender@example.org"
    message["To"] = f"{local}@{PUBLIC}"
    message["Subject"] = "sized to the receiver"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.org>"
    build(message)
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=60) as client:
        client.ehlo("client.example")
        assert client.send_message(message, from_addr="sender@example.org", to_addrs=[f"{local}@{PUBLIC}"]) == {}
    post = receiver.wait(path)
    assert len(post["body"]) <= LIMIT
    assert int(post["headers"]["content-length"]) == len(post["body"])
    value = json.loads(post["body"])
    assert schema_errors(value) == []
    post["webhook"] = webhook
    return post, value


def wait_delivered(server, account, webhook, timeout=60):
    """Until the webhook's log has a delivered attempt (the outcome is recorded)."""
    deadline = time.monotonic() + timeout
    while True:
        status, _, rows = server.api.get(f"/webhooks/{webhook['id']}/logs", token=account.access)
        assert status == 200
        if any(row.get("http_status") == 200 for row in rows):
            return
        assert time.monotonic() < deadline, rows
        time.sleep(0.1)


def wait_for_404(url, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            status, headers, body = fetch(url)
        except http.client.IncompleteRead:
            # The message left the spool after the answer's head went out:
            # the body ends early (the connection closes). Ask again.
            status, headers, body = None, None, None
        if status == 404 or time.monotonic() > deadline:
            return status, headers, body
        time.sleep(0.1)


ATTACHMENTS = [
    # name, maintype, subtype, size: base64 of the three large ones is 400, 133 and 107 KB.
    ("big.bin", "application", "octet-stream", 300_000),
    ("report.pdf", "application", "pdf", 100_000),
    ("résumé ✓ \"q\".txt", "text", "plain", 80_000),
    ("tiny.bin", "application", "octet-stream", 40),
]


def test_attachments_become_links_largest_first_and_links_serve_the_bytes(server, links_receiver):
    contents = {}

    def build(message):
        message.set_content("See the attachments.\n")
        for index, (name, maintype, subtype, size) in enumerate(ATTACHMENTS):
            content = bytes((i * 7 + index) % 251 for i in range(size))
            if maintype == "text":
                content = (b"line of text\n" * (size // 13 + 1))[:size]
            contents[name] = content
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)

    account = server.api.new_account()
    post, value = send(server, links_receiver, build, account=account)
    parts = value["attachments"]
    assert [p["filename"] for p in parts] == [a[0] for a in ATTACHMENTS]
    linked = [p for p in parts if p["content_base64"] is None]
    # Largest first: every linked attachment is larger than every inline one but the tiny one...
    assert {p["filename"] for p in linked} == {"big.bin", "report.pdf", "résumé ✓ \"q\".txt"}
    tiny = parts[3]
    assert "url" not in tiny and tiny["content_base64"] is not None
    assert value.get("truncated") is None
    assert value["text"] == "See the attachments.\n"
    base = server.api_url + "/api/v1/attachments/cdl_"
    for part in linked:
        url = part["url"]
        assert url.startswith(base) and len(url) == len(base) + 43
        status, headers, body = post["fetched"][url]
        assert status == 200, body
        assert body == contents[part["filename"]]
        assert headers["Content-Type"] == part["content_type"]
        assert int(headers["Content-Length"]) == part["size"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        disposition = headers["Content-Disposition"]
        assert disposition.startswith("attachment; filename=\"")
        if part["filename"] == "résumé ✓ \"q\".txt":
            assert disposition == "attachment; filename=\"r_sum_ _ _q_.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%9C%93%20%22q%22.txt"
            assert urllib.parse.unquote(disposition.split("''", 1)[1]) == part["filename"]
        else:
            assert disposition == f"attachment; filename=\"{part['filename']}\""
    # A link is for its route only, and a bearer token does not matter to it.
    assert post["checks"] == {"with_authorization": 200, "other_route": 404}
    # Delivered, the message is kept (keep_delivered_hours, 72 by default),
    # and so are its links: they answer after the POST too.
    wait_delivered(server, account, post["webhook"])
    for part in linked:
        status, _, body = fetch(part["url"])
        assert status == 200 and body == contents[part["filename"]]
    # The account deleted, its delivered message leaves the spool at once,
    # and its links with it: 404.
    status, _, _ = server.api.delete("/accounts/me", {"confirm": True, "password": account.password}, token=account.access)
    assert status == 204
    for part in linked:
        status, headers, body = wait_for_404(part["url"])
        assert status == 404
        assert json.loads(body)["code"] == "not_found"


def test_a_long_text_is_cut_and_marked_truncated(server, links_receiver):
    text = "".join(f"Line {n}: caf\u00e9 \u2713 \"quoted\"\n" for n in range(12_000))

    def build(message):
        message.set_content(text)
        message.add_alternative("<p>" + "h\u00e9llo " * 20_000 + "</p>", subtype="html")

    post, value = send(server, links_receiver, build)
    assert value["truncated"] is True
    assert text.startswith(value["text"]) and len(value["text"]) < len(text)
    assert value["html"].startswith("<p>h\u00e9llo ")
    # The cut leaves little room unused: the limit is nearly reached.
    assert len(post["body"]) > LIMIT - 64


def test_json_raw_gives_up_raw_base64_for_raw_url_first(server, links_receiver):
    attachment = bytes(range(256)) * 156  # 39,936 bytes: the message is ~55 KB, its base64 ~73 KB

    def build(message):
        message.set_content("raw, please\n")
        message.add_attachment(attachment, maintype="application", subtype="octet-stream", filename="blob.bin")

    post, value = send(server, links_receiver, build, payload_format="json_raw")
    assert "raw_base64" not in value
    url = value["raw_url"]
    assert url.startswith(server.api_url + "/api/v1/messages/cdl_") and url.endswith("/raw")
    # Linking the message alone was enough: the attachment stays inline.
    [part] = value["attachments"]
    assert part["content_base64"] is not None and "url" not in part
    assert "truncated" not in value
    status, headers, body = post["fetched"][url]
    assert status == 200
    assert headers["Content-Type"] == "message/rfc822"
    assert headers["Content-Disposition"] == 'attachment; filename="message.eml"'
    assert len(body) == value["size"]
    assert body.startswith(b"Received: ") and b"\r\nSubject: sized to the receiver\r\n" in body
    # An attachment route does not serve a raw link.
    token = url.split("/")[-2]
    assert fetch(f"{server.api_url}/api/v1/attachments/{token}")[0] == 404


def test_unknown_and_malformed_tokens_are_404(server):
    fake = "cdl_" + "A" * 43
    for path in (
        f"/api/v1/attachments/{fake}",
        f"/api/v1/messages/{fake}/raw",
        "/api/v1/attachments/cdl_short",
        "/api/v1/attachments/" + "x" * 300,
        "/api/v1/attachments/cda_" + "A" * 43,
    ):
        status, headers, body = fetch(server.api_url + path)
        assert status == 404, path
        assert headers["Content-Type"].startswith("application/json")
        assert json.loads(body) == {"code": "not_found", "error": "No such link, or it has expired"}
