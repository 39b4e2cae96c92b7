"""The reset mail goes through a smarthost that offers STARTTLS: Conduit must
upgrade the connection before MAIL FROM. The smarthost is aiosmtpd with a
certificate made at test time."""

import socket
import ssl
import subprocess
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from identity_helpers import start_server


class Recorder:
    def __init__(self):
        self.mails = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content, session.ssl is not None))
        return "250 2.0.0 OK"


@pytest.fixture(scope="module")
def tls_smarthost(tmp_path_factory):
    directory = tmp_path_factory.mktemp("smarthost-tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    recorder = Recorder()
    # aiosmtpd's readiness probe connects to the configured port, so it cannot be 0.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True)
    controller.start()
    yield recorder, port
    controller.stop()


def test_reset_mail_is_sent_over_starttls(tls_smarthost):
    recorder, port = tls_smarthost
    handle, cleanup = start_server("reset-tls", extra=f'[mail]\nsmarthost = "127.0.0.1:{port}"\nfrom = "conduit@conduit.test"\n')
    try:
        client = handle.client
        email = f"tls-{int(time.time() * 1000)}@example.com"
        status, _, _ = client.post("/accounts", {"email": email, "password": "a good password"})
        assert status == 201
        status, _, _ = client.post("/accounts/me/password-reset", {"email": email})
        assert status == 202
        deadline = time.monotonic() + 60  # only ends a broken run
        while time.monotonic() < deadline and not recorder.mails:
            time.sleep(0.1)
        assert recorder.mails, handle.server.log()
        mail_from, rcpt_tos, content, encrypted = recorder.mails[0]
        assert encrypted, "the smarthost offered STARTTLS but the mail came in plaintext"
        assert mail_from == "conduit@conduit.test"
        assert rcpt_tos == [email]
        assert b"/reset-password?token=cdp_" in content
    finally:
        cleanup()
