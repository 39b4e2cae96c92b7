"""The manual pages and shell completions the package installs, generated
from their one source each (scripts/gen-manpages.py): conduit(8) names every
subcommand and option the binary declares, conduit.toml(5) every key of the
README's configuration reference (which ConfigReferenceTests keeps equal to
ConduitConfig), both render with man-db without a warning, and the package
version (debian/changelog) is the binary's."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, conduit_binary


def render(page: Path) -> str:
    result = subprocess.run(
        ["man", "--warnings", "-l", str(page)], capture_output=True, text=True,
        env={**os.environ, "MANWIDTH": "100", "LC_ALL": "C.UTF-8", "MAN_KEEP_FORMATTING": "0"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr
    return re.sub(r".\x08", "", result.stdout)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    if shutil.which("man") is None:
        pytest.fail("man-db is not installed (make test-deps installs it)")
    out = tmp_path_factory.mktemp("man")
    subprocess.run(["python3", str(REPO / "scripts" / "gen-manpages.py"), conduit_binary(), str(out), str(out)], check=True)
    return {"conduit.8": render(out / "conduit.8"), "conduit.toml.5": render(out / "conduit.toml.5")}


def readme_keys():
    text = (REPO / "README.md").read_text()
    block = text.split("<!-- config-reference:begin -->")[1].split("<!-- config-reference:end -->")[0]
    return re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", block, re.M)


def subcommands(command, prefix="conduit"):
    for sub in command.get("subcommands", []):
        if sub["commandName"] == "help":
            continue
        name = f"{prefix} {sub['commandName']}"
        yield name, sub
        yield from subcommands(sub, name)


def test_conduit_8_names_every_subcommand_and_option(pages):
    text = pages["conduit.8"]
    dump = json.loads(subprocess.run([conduit_binary(), "--experimental-dump-help"], check=True, capture_output=True).stdout)
    commands = list(subcommands(dump["command"]))
    assert len(commands) >= 9
    for name, command in commands:
        assert name in text, name
        for argument in command.get("arguments", []):
            for flag in argument.get("names") or []:
                if flag["kind"] == "long" and flag["name"] != "help":
                    assert f"--{flag['name']}" in text, (name, flag)
    for section in ("EXIT STATUS", "SIGNALS", "FILES", "EXAMPLES", "78", "SIGHUP"):
        assert section in text, section


def test_conduit_toml_5_has_every_config_key_with_its_default(pages):
    text = pages["conduit.toml.5"]
    keys = readme_keys()
    assert "storage.account_quota_mb" in keys and len(keys) > 20
    tables = {}
    for key in keys:
        table, name = key.split(".", 1)
        tables.setdefault(table, []).append(name)
    for table, names in tables.items():
        section = text.split(f"[{table}]", 1)[1]
        for name in names:
            assert re.search(rf"^\s+{name} = ", section, re.M), key
    assert "Reload: live." in text and "Reload: restart." in text


def test_completions_for_every_shell():
    for shell, marker in (("bash", "complete"), ("zsh", "#compdef conduit"), ("fish", "complete -c 'conduit'")):
        result = subprocess.run([conduit_binary(), "--generate-completion-script", shell], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert marker in result.stdout and "check-config" in result.stdout, shell


def test_package_version_is_the_binarys():
    changelog = (REPO / "debian" / "changelog").read_text().splitlines()[0]
    version = re.match(r"conduit \(([^)]+)\)", changelog).group(1)
    binary = subprocess.run([conduit_binary(), "version"], check=True, capture_output=True, text=True).stdout.strip()
    assert version == binary
