"""The appliance skeleton end to end: the real binary, real sockets."""

import json
import re
import signal
import smtplib
import socket
import urllib.error
import urllib.request

from conftest import RunningConduit, run_cli, write_config


def http_get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_version_prints_semver():
    result = run_cli("version")
    assert result.returncode == 0
    assert re.fullmatch(r"\d+\.\d+\.\d+\n", result.stdout)


def test_healthz_reports_store_and_listeners(conduit):
    status, headers, body = http_get(conduit.api_url + "/healthz")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    report = json.loads(body)
    assert report["status"] == "ok"
    assert report["store"] == "open"
    assert report["api"] == "listening"
    assert report["smtp"] == "listening"


def test_metrics_are_prometheus_text(conduit):
    with smtplib.SMTP("127.0.0.1", conduit.smtp_port, timeout=30) as client:
        client.noop()
    status, headers, body = http_get(conduit.api_url + "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = body.decode()
    assert "# TYPE conduit_smtp_connections_total counter" in text
    assert re.search(r"^conduit_smtp_connections_total [1-9]", text, re.M)
    assert re.search(r"^conduit_store_used_bytes [1-9]", text, re.M)


def test_unknown_route_is_a_json_error(conduit):
    status, headers, body = http_get(conduit.api_url + "/api/v1/nothing-here")
    assert status == 404
    assert headers["Content-Type"].startswith("application/json")
    error = json.loads(body)
    assert error["code"] == "not_found"
    assert isinstance(error["error"], str) and error["error"]


def test_smtp_greeting_and_connection_commands(conduit):
    client = smtplib.SMTP(timeout=30)
    code, banner = client.connect("127.0.0.1", conduit.smtp_port)
    assert code == 220
    assert banner.startswith(b"mx.conduit.test ESMTP")

    code, _ = client.ehlo("client.example")
    assert code == 250
    assert client.has_extn("pipelining")
    assert client.esmtp_features["size"] == "1048576"
    assert client.has_extn("enhancedstatuscodes")

    assert client.noop()[0] == 250
    assert client.rset()[0] == 250
    code, message = client.docmd("MAIL", "FROM:<someone@example.com>")
    assert code == 250 and message.startswith(b"2.1.0")
    # No webhooks exist: every recipient is unknown.
    code, message = client.docmd("RCPT", "TO:<anyone@example.net>")
    assert code == 550 and message.startswith(b"5.1.1")
    code, _ = client.docmd("WHATEVER")
    assert code == 500
    assert client.quit()[0] == 221


def test_bare_lf_does_not_end_a_command(conduit):
    with socket.create_connection(("127.0.0.1", conduit.smtp_port), timeout=30) as s:
        s.recv(1024)
        s.sendall(b"NOOP\nQUIT\r\n")
        reply = s.recv(1024)
        # One line arrived ("NOOP<LF>QUIT"), and it is not a valid command.
        assert reply.startswith(b"500 5.5.2")
        s.sendall(b"QUIT\r\n")
        assert s.recv(1024).startswith(b"221")


def test_sigterm_stops_cleanly_and_tells_connected_clients(workdir):
    server = RunningConduit(write_config(workdir), workdir / "serve.log")
    with socket.create_connection(("127.0.0.1", server.smtp_port), timeout=30) as s:
        assert s.recv(1024).startswith(b"220")
        # stop() fails if the process is not gone within its timeout: the
        # bound that tells a clean stop from a hang, wide for a busy machine.
        assert server.stop(signal.SIGTERM, timeout=60) == 0
        assert s.recv(1024).startswith(b"421 4.3.2")
    log = server.log()
    assert "Conduit stopped" in log
    assert "store closed" in log


def test_sigint_also_stops_cleanly(workdir):
    server = RunningConduit(write_config(workdir), workdir / "serve.log")
    assert server.stop(signal.SIGINT) == 0


def test_data_directory_is_created_with_lmdb_files(conduit, workdir):
    data = workdir / "data"
    assert (data / "data.mdb").exists()
    assert (data / "lock.mdb").exists()
    assert oct(data.stat().st_mode & 0o777) == "0o700"
