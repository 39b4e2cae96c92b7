"""Config errors from the real binary, and `conduit backup` beside a running server."""

import json
import socket
import subprocess
import urllib.request

from conftest import RunningConduit, conduit_binary, run_cli, write_config


def test_check_config_accepts_the_shipped_samples():
    for sample in ("etc/conduit.toml", "etc/conduit.dev.toml"):
        result = run_cli("check-config", "--config", sample)
        assert result.returncode == 0, result.stderr
        assert "configuration OK" in result.stdout


def test_check_config_names_the_bad_key(workdir):
    cases = {
        "[smtp]\nmax_recipients = \"lots\"\n": "smtp.max_recipients: expected an integer, found a string",
        "[smtp]\nlisten_address = \"0.0.0.0:25\"\n": "unknown key smtp.listen_address",
        "[webhooks]\nx = 1\n": "unknown section [webhooks]",
        "[api]\nlisten = \"localhost\"\n": "api.listen",
        "[smtp]\ntls_cert = \"/nonexistent.pem\"\ntls_key = \"/nonexistent.key\"\n": "smtp.tls_cert: cannot read /nonexistent.pem",
        "[smtp\n": "invalid TOML",
    }
    for text, expected in cases.items():
        config = workdir / "bad.toml"
        config.write_text(text)
        result = run_cli("check-config", "--config", str(config))
        assert result.returncode == 78, text
        assert expected in result.stderr, (text, result.stderr)


def test_serve_exits_78_on_a_bad_config(workdir):
    config = write_config(workdir, extra="[delivery]\nretry_max_ms = \"soon\"\n")
    result = subprocess.run([conduit_binary(), "serve", "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 78
    assert "delivery.retry_max_ms" in result.stderr


def test_serve_exits_78_when_the_config_file_is_missing(workdir):
    result = run_cli("serve", "--config", str(workdir / "absent.toml"))
    assert result.returncode == 78
    assert "absent.toml: cannot read configuration: No such file or directory" in result.stderr


def test_serve_fails_when_the_port_is_taken(workdir):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    try:
        config = workdir / "conduit.toml"
        write_config(workdir)
        config.write_text(config.read_text().replace('listen = "127.0.0.1:0"\nhostname', f'listen = "127.0.0.1:{port}"\nhostname'))
        result = subprocess.run([conduit_binary(), "serve", "--config", str(config)], capture_output=True, text=True, timeout=30)
        assert result.returncode == 1
        assert "Address already in use" in result.stderr or "address already in use" in result.stderr.lower()
    finally:
        blocker.close()


def test_backup_while_serving_makes_a_servable_copy(conduit, workdir):
    destination = workdir / "backup"
    result = run_cli("backup", "--config", str(conduit.config), str(destination))
    assert result.returncode == 0, result.stderr
    assert (destination / "data.mdb").exists()

    # The destination must be new.
    again = run_cli("backup", "--config", str(conduit.config), str(destination))
    assert again.returncode != 0
    assert "already exists" in again.stderr

    # A second server started on the copy is healthy.
    second_dir = workdir / "second"
    second_dir.mkdir()
    second = RunningConduit(write_config(second_dir, storage=destination), second_dir / "serve.log")
    try:
        with urllib.request.urlopen(second.api_url + "/healthz", timeout=30) as response:
            assert json.loads(response.read())["store"] == "open"
    finally:
        assert second.stop() == 0


def test_backup_of_a_missing_store_fails(workdir):
    config = write_config(workdir, storage=workdir / "never-created")
    result = run_cli("backup", "--config", str(config), str(workdir / "out"))
    assert result.returncode == 1
    assert "no Conduit store here" in result.stderr
    assert not (workdir / "out").exists()
