"""No byte vanishes in decoding: `conduit parse` on a message whose text,
HTML and Subject hold bytes their charset cannot decode prints U+FFFD in
their place, keeps the text around them, and names each place with a
defect (docs/MIME.md, charsets)."""

import json

from conftest import run_cli

FFFD = "\ufffd"

MESSAGE = (
    b"From: a@example.com\r\n"
    b"To: b@example.com\r\n"
    b"Subject: caf\xff =?utf-8?q?ok=FE?=\r\n"
    b"Content-Type: multipart/alternative; boundary=b\r\n"
    b"\r\n"
    b"--b\r\n"
    # GB18030 0x81 0x30 with too few bytes after it: iconv reports the
    # sequence as cut off, and the "0B" after it used to be dropped.
    b"Content-Type: text/plain; charset=gb18030\r\n"
    b"\r\n"
    b"A\x81\x30B\r\n"
    b"--b\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"<p>x=FFy</p>\r\n"
    b"--b--\r\n"
)


def test_undecodable_bytes_become_replacement_characters(tmp_path):
    path = tmp_path / "broken.eml"
    path.write_bytes(MESSAGE)
    result = run_cli("parse", "--defects", "--compact", str(path))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["subject"] == f"caf{FFFD} ok{FFFD}"
    assert payload["text"] == f"A{FFFD}0B"
    assert payload["html"] == f"<p>x{FFFD}y</p>"
    # The JSON carries the character itself (or its escape), never nothing.
    assert "\\ufffd" in result.stdout.lower() or FFFD in result.stdout
    defects = [line for line in result.stderr.splitlines() if line.startswith("defect: ")]
    assert defects == [
        "defect: header Subject: 2 undecodable byte sequences replaced with U+FFFD",
        "defect: text/plain part: 1 undecodable byte sequence replaced with U+FFFD",
        "defect: text/html part: 1 undecodable byte sequence replaced with U+FFFD",
    ]


def test_valid_text_has_no_replacement_defect(tmp_path):
    path = tmp_path / "clean.eml"
    path.write_bytes(
        b"From: a@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
        b"Content-Type: text/plain; charset=shift_jis\r\n\r\n\x93\xfa\x96\x7b\r\n"
    )
    result = run_cli("parse", "--defects", str(path))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["subject"] == "Grüße"
    assert payload["text"] == "日本\n"
    assert "U+FFFD" not in result.stderr
