"""The SMTP protocol over real sockets against the real binary: extensions,
STARTTLS with a certificate made at test time (smtplib and swaks), plaintext
injected behind STARTTLS, pipelining, size and line limits, bare-LF
smuggling, error and connection limits, 200 concurrent clients, and
certificate reload on SIGHUP. Messages are checked in the spool with
`conduit spool`. Recipients resolve through webhooks on a public domain
(one per address the tests use); recipient and policy rules are in test_smtp_ingress.py."""

import concurrent.futures
import signal
import smtplib
import ssl
import subprocess
import uuid

import pytest

from dns_helpers import start_conduit
from identity_helpers import Client
from smtp_helpers import (
    PUBLIC,
    RawSMTP,
    make_certificate,
    make_webhook,
    queued_id,
    spool_list,
    spool_show,
    wait_for,
)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    cert, key = make_certificate(directory)
    return directory, cert, key


@pytest.fixture(scope="module")
def server(certs):
    directory, cert, key = certs
    # The server reads these paths; SIGHUP tests replace their contents.
    live_cert, live_key = directory / "live.crt", directory / "live.key"
    live_cert.write_bytes(cert.read_bytes())
    live_key.write_bytes(key.read_bytes())
    handle, cleanup = start_conduit(
        "smtp",
        smtp_settings=(
            f'public_domains = ["{PUBLIC}"]\n'
            f'tls_cert = "{live_cert}"\ntls_key = "{live_key}"\n'
            "max_connections_per_ip = 500\n"
        ),
    )
    client = Client(handle.server.api_url)
    account = client.new_account()
    # Public domains reserve catch-alls (docs/API.md): one webhook per
    # recipient the tests below use.
    for local in ("hook", "swaks", "a", "b", "victim", "x"):
        make_webhook(client, account, f"{local}@{PUBLIC}")
    handle.live_cert, handle.live_key, handle.ca = live_cert, live_key, cert
    yield handle
    cleanup()


def port(server):
    return server.server.smtp_port


def config(server):
    return server.server.config


def message(subject, body="Hello.\r\n"):
    return (
        f"From: Sender <sender@example.org>\r\nTo: hook@{PUBLIC}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.org>\r\n\r\n{body}"
    ).encode()


def send(server, subject, body="Hello.\r\n", rcpt=None):
    """Sends one message with smtplib; returns the queue id."""
    with smtplib.SMTP("127.0.0.1", port(server), timeout=30) as client:
        client.ehlo("client.example")
        client.mail("sender@example.org")
        code, _ = client.rcpt(rcpt or f"hook@{PUBLIC}")
        assert code == 250
        code, reply = client.data(message(subject, body))
        assert code == 250, reply
        return queued_id(reply)


def tls_context(server):
    context = ssl.create_default_context(cafile=str(server.ca))
    context.check_hostname = True
    return context


def test_ehlo_lists_the_extensions(server):
    with smtplib.SMTP("127.0.0.1", port(server), timeout=30) as client:
        code, _ = client.ehlo("client.example")
        assert code == 250
        for extension in ("pipelining", "8bitmime", "smtputf8", "enhancedstatuscodes", "starttls"):
            assert client.has_extn(extension), extension
        assert client.esmtp_features["size"] == "1048576"
        # No AUTH over plaintext (allow_insecure_auth is off).
        assert not client.has_extn("auth")
        code, reply = client.docmd("AUTH", "PLAIN AGFsaWNlAHNlY3JldA==")
        assert code == 538 and reply.startswith(b"5.7.11")


def test_message_is_spooled_with_a_received_header(server):
    subject = "spooled " + uuid.uuid4().hex
    body = "line one\r\n.leading dot stays\r\n..two dots\r\n" + "x" * 5000 + "\r\nend\r\n"
    queue_id = send(server, subject, body)
    stored = spool_show(config(server), queue_id)
    first, rest = stored.split(b"\r\n", 1)
    assert first == b"Received: from client.example ([127.0.0.1])"
    assert f"by mx.conduit.test (Conduit) with ESMTP id {queue_id}".encode() in rest.split(b"\r\n", 1)[0]
    assert f"Subject: {subject}".encode() in stored
    # smtplib dot-stuffs, the server unstuffs: the text arrives as sent,
    # and a 5000-byte line is kept whole.
    assert stored.endswith(body.encode())
    assert queue_id in spool_list(config(server))


def test_starttls_then_mail_with_smtplib(server):
    subject = "tls " + uuid.uuid4().hex
    with smtplib.SMTP("127.0.0.1", port(server), timeout=30, local_hostname="client.example") as client:
        client.ehlo()
        code, _ = client.starttls(context=ssl_context_for(server))
        assert code == 220
        client.ehlo()
        assert not client.has_extn("starttls")
        assert client.esmtp_features.get("auth", "").split() == ["PLAIN", "LOGIN"]
        client.mail("sender@example.org")
        assert client.rcpt(f"hook@{PUBLIC}")[0] == 250
        code, reply = client.data(message(subject))
        assert code == 250
    stored = spool_show(config(server), queued_id(reply))
    assert b"with ESMTPS id" in stored


def ssl_context_for(server):
    context = tls_context(server)
    context.check_hostname = False  # connecting by IP; the chain is still verified
    return context


def test_starttls_with_swaks(server):
    result = subprocess.run(
        [
            "swaks", "--server", f"127.0.0.1:{port(server)}", "--tls", "--helo", "swaks.example",
            "--from", "sender@example.org", "--to", f"swaks@{PUBLIC}",
            "--header", "Subject: swaks " + uuid.uuid4().hex, "--body", "via swaks",
        ],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "<-  220 2.0.0 Ready to start TLS" in result.stdout
    # "<~" marks a reply read inside TLS.
    assert "<~  250 2.0.0 OK queued as" in result.stdout


def test_plaintext_pipelined_behind_starttls_is_discarded(server):
    raw = RawSMTP(port(server))
    assert raw.reply()[0] == 220
    raw.send(b"EHLO client.example\r\n")
    assert raw.reply()[0] == 250
    # An attacker appends commands to the STARTTLS packet (CVE-2011-0411).
    raw.send(b"STARTTLS\r\nMAIL FROM:<injected@example.org>\r\nNOOP\r\n")
    code, lines = raw.reply()
    assert code == 220, lines
    assert raw.buffer == b""
    tls = ssl_context_for(server).wrap_socket(raw.sock)
    tls.sendall(b"EHLO client.example\r\n")
    data = b""
    while not data.endswith(b"250 AUTH PLAIN LOGIN\r\n"):
        chunk = tls.recv(4096)
        assert chunk, data
        data += chunk
    # The first reply inside TLS is the EHLO's: nothing answered the
    # injected commands, and no transaction is open.
    assert data.startswith(b"250-mx.conduit.test greets client.example")
    tls.sendall(b"RCPT TO:<hook@" + PUBLIC.encode() + b">\r\n")
    assert tls.recv(4096).startswith(b"503 5.5.1 Need MAIL command")
    tls.close()


def test_pipelined_commands_are_answered_in_order(server):
    raw = RawSMTP(port(server))
    assert raw.reply()[0] == 220
    subject = "pipelined " + uuid.uuid4().hex
    raw.send(
        b"EHLO client.example\r\nMAIL FROM:<sender@example.org>\r\n"
        + f"RCPT TO:<a@{PUBLIC}>\r\nRCPT TO:<b@{PUBLIC}>\r\nRCPT TO:<bad address>\r\nDATA\r\n".encode()
    )
    replies = raw.replies(6)
    assert [code for code, _ in replies] == [250, 250, 250, 250, 501, 354]
    raw.send(message(subject) + b".\r\nNOOP\r\nQUIT\r\n")
    code, lines = raw.reply()
    assert code == 250 and "queued as" in lines[0]
    assert raw.reply()[0] == 250
    assert raw.reply()[0] == 221
    assert raw.closed()
    assert subject.encode() in spool_show(config(server), queued_id(lines[0]))


def test_size_limits(server):
    with smtplib.SMTP("127.0.0.1", port(server), timeout=30) as client:
        client.ehlo("client.example")
        code, reply = client.docmd("MAIL", "FROM:<sender@example.org> SIZE=2000000")
        assert code == 552 and reply.startswith(b"5.3.4")
        # Undeclared and too big: read to the end, then refused.
        client.mail("sender@example.org")
        assert client.rcpt(f"hook@{PUBLIC}")[0] == 250
        code, reply = client.data(message("too big", "y" * 998 + "\r\n") * 1100)
        assert code == 552 and reply.startswith(b"5.3.4"), reply
        # The session goes on.
        assert client.noop()[0] == 250
        client.mail("sender@example.org")
        assert client.rcpt(f"hook@{PUBLIC}")[0] == 250
        code, _ = client.data(message("small after big"))
        assert code == 250


def test_bare_lf_cannot_smuggle_a_second_message(server):
    before = spool_list(config(server)).count("\n")
    raw = RawSMTP(port(server))
    assert raw.reply()[0] == 220
    raw.send(f"EHLO client.example\r\nMAIL FROM:<sender@example.org>\r\nRCPT TO:<hook@{PUBLIC}>\r\nDATA\r\n".encode())
    assert [code for code, _ in raw.replies(4)] == [250, 250, 250, 354]
    smuggled = (
        b"Subject: outer\r\n\r\nfirst\n.\nMAIL FROM:<evil@example.org>\nRCPT TO:<victim@" + PUBLIC.encode()
        + b">\nDATA\nSubject: smuggled\n\nsmuggled\n.\r\n"
        + b"\r.\r\nMAIL FROM:<evil2@example.org>\r\n"
        + b"\r\n.\r\n"
    )
    raw.send(smuggled)
    code, lines = raw.reply()
    assert code == 250, lines
    raw.send(b"QUIT\r\n")
    assert raw.reply()[0] == 221
    stored = spool_show(config(server), queued_id(lines[0]))
    assert b"first\n.\nMAIL FROM:<evil@example.org>" in stored
    assert b"\r.\r\nMAIL FROM:<evil2@example.org>\r\n" in stored
    # Exactly one message more in the spool.
    assert spool_list(config(server)).count("\n") == before + 1


def test_overlong_command_line_is_refused_and_the_session_goes_on(server):
    raw = RawSMTP(port(server))
    assert raw.reply()[0] == 220
    raw.send(b"NOOP " + b"x" * 5000 + b"\r\nNOOP\r\n")
    code, lines = raw.reply()
    assert code == 500 and lines[0].startswith("500 5.5.6"), lines
    assert raw.reply()[0] == 250
    raw.close()


def test_too_many_errors_end_the_session(server):
    raw = RawSMTP(port(server))
    assert raw.reply()[0] == 220
    raw.send(b"BOGUS\r\n" * 25)
    codes = []
    while True:
        code, lines = raw.reply()
        codes.append(code)
        if code == 421:
            assert lines[0].startswith("421 4.7.0")
            break
    assert codes == [500] * 19 + [421]
    assert raw.closed()


def test_two_hundred_concurrent_clients(server):
    tag = uuid.uuid4().hex[:8]

    def one(i):
        return send(server, f"concurrent {tag} {i}")

    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
        ids = list(pool.map(one, range(200)))
    assert len(set(ids)) == 200
    listing = spool_list(config(server))
    assert all(queue_id in listing for queue_id in ids)


def test_connections_per_ip_are_limited(tmp_path):
    handle, cleanup = start_conduit("smtp-limit", smtp_settings="max_connections_per_ip = 3\n")
    try:
        smtp_port = handle.server.smtp_port
        held = [RawSMTP(smtp_port) for _ in range(3)]
        for raw in held:
            assert raw.reply()[0] == 220
        extra = RawSMTP(smtp_port)
        code, lines = extra.reply()
        assert code == 421 and lines[0].startswith("421 4.7.0"), lines
        assert extra.closed()
        held[0].send(b"QUIT\r\n")
        assert held[0].reply()[0] == 221
        assert held[0].closed()

        def admitted():
            raw = RawSMTP(smtp_port)
            code, _ = raw.reply()
            raw.close()
            return code == 220

        assert wait_for(admitted, timeout=60)
        for raw in held[1:]:
            raw.close()
    finally:
        cleanup()


def test_sighup_reloads_the_certificate(server, tmp_path):
    def served_certificate():
        with smtplib.SMTP("127.0.0.1", port(server), timeout=30) as client:
            client.ehlo("client.example")
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            client.starttls(context=context)
            return client.sock.getpeercert(binary_form=True)

    before = served_certificate()
    new_cert, new_key = make_certificate(tmp_path, "mx2.conduit.test")
    # A broken pair first: the reload fails and the old certificate stays.
    server.live_cert.write_text("not a certificate")
    server.server.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "TLS certificate reload failed" in server.server.log())
    assert served_certificate() == before
    server.live_cert.write_bytes(new_cert.read_bytes())
    server.live_key.write_bytes(new_key.read_bytes())
    server.server.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "TLS certificate reloaded" in server.server.log())
    after = served_certificate()
    assert after != before
    assert after == ssl.PEM_cert_to_DER_cert(new_cert.read_text())
    assert server.server.proc.poll() is None
    # Put the module's certificate back for whatever runs later.
    server.live_cert.write_bytes(server.ca.read_bytes())
    server.live_key.write_bytes(server.ca.with_suffix(".key").read_bytes())
    server.server.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: served_certificate() == before)


def test_garbage_never_takes_the_server_down(server):
    """Random bytes, NULs, half commands, long lines and abrupt closes from
    many clients: each gets replies or a 421, and the server stays up."""
    import random

    rng = random.Random(5321)
    pieces = [
        b"EHLO x\r\n", b"MAIL FROM:<a@b.example>\r\n", f"RCPT TO:<x@{PUBLIC}>\r\n".encode(), b"DATA\r\n",
        b".\r\n", b"\r\n", b"\n", b"\r", b"\x00", b"AUTH PLAIN\r\n", b"AUTH LOGIN\r\n", b"*\r\n",
        b"STARTTLS\r\n", b"RSET\r\n", b"x" * 3000, b"\xff\xfe", b"BDAT 5 LAST\r\n", b"MAIL FROM:<\r\n",
    ]

    def one(seed):
        local = random.Random(seed)
        raw = RawSMTP(port(server), timeout=30)
        try:
            raw.reply()
            for _ in range(local.randint(1, 40)):
                raw.send(local.choice(pieces) if local.random() < 0.7 else bytes(local.randbytes(local.randint(1, 200))))
        except OSError:
            pass
        finally:
            raw.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(one, [rng.random() for _ in range(100)]))
    assert server.server.proc.poll() is None
    send(server, "still alive " + uuid.uuid4().hex)


def test_metrics_count_accepted_messages(server):
    import re
    import urllib.request

    send(server, "metrics " + uuid.uuid4().hex)
    text = urllib.request.urlopen(server.server.api_url + "/metrics", timeout=30).read().decode()
    assert re.search(r"^conduit_smtp_messages_accepted_total [1-9]", text, re.M), text
    assert re.search(r"^conduit_smtp_recipients_accepted_total [1-9]", text, re.M)
