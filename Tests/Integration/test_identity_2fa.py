"""TOTP two-factor authentication over the real binary: setup (secret,
otpauth URL, QR code), enable, the sign-in challenge, backup codes, disable."""

import base64
import subprocess
import sys
import time
from pathlib import Path
import re
import urllib.parse

import pytest

from identity_helpers import (
    BACKUP_CODE_RE,
    CHALLENGE_RE,
    TOTP,
    assert_error,
    assert_session,
    current_step,
    decode_qr_png,
    enable_2fa,
    start_server,
    totp_at,
    totp_challenge,
    wrong_code,
)


@pytest.fixture(scope="module")
def api():
    handle, cleanup = start_server("2fa")
    yield handle.client
    cleanup()


def complete(api, challenge, code):
    return api.post("/sessions/2fa", {"totp_token": challenge, "code": code})


# --- setup --------------------------------------------------------------------------


def test_setup_returns_secret_url_and_qr_code(api):
    account = api.new_account()
    status, headers, setup = api.post("/accounts/me/2fa/setup", token=account.access)
    assert status == 200, setup
    assert headers["Content-Type"].startswith("application/json")
    assert {"secret", "otpauth_url", "qr_code_png"} <= set(setup)

    secret = setup["secret"]
    # 160 bits of base32 without padding.
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    assert len(base64.b32decode(secret)) == 20

    url = setup["otpauth_url"]
    assert url.startswith("otpauth://totp/"), url
    assert "secret=" in url and "issuer=" in url
    assert url == f"otpauth://totp/Conduit:{account.email}?secret={secret}&issuer=Conduit"
    parsed = urllib.parse.urlsplit(url)
    assert urllib.parse.unquote(parsed.path.lstrip("/")) == f"Conduit:{account.email}"
    query = urllib.parse.parse_qs(parsed.query)
    assert query["secret"] == [secret]
    assert query["issuer"] == ["Conduit"]

    png = base64.b64decode(setup["qr_code_png"], validate=True)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert decode_qr_png(png) == url


def test_setup_needs_auth(api):
    assert_error(api.post("/accounts/me/2fa/setup"), 401, "unauthorized")
    assert_error(api.post("/accounts/me/2fa/enable", {"code": "123456"}), 401, "unauthorized")
    assert_error(api.post("/accounts/me/2fa/backup-codes", {"code": "123456"}), 401, "unauthorized")
    assert_error(api.delete("/accounts/me/2fa", {"code": "123456"}), 401, "unauthorized")


def test_setup_again_replaces_the_pending_secret(api):
    account = api.new_account()
    first = api.post("/accounts/me/2fa/setup", token=account.access)[2]
    second = api.post("/accounts/me/2fa/setup", token=account.access)[2]
    assert first["secret"] != second["secret"]

    # The first secret is no longer the pending one (its codes are not the second's).
    now = current_step()
    stale = totp_at(first["secret"], now)
    if stale not in {totp_at(second["secret"], s) for s in range(now - 2, now + 3)}:
        assert_error(api.post("/accounts/me/2fa/enable", {"code": stale}, token=account.access), 401, "invalid_totp")
    status, _, enabled = api.post("/accounts/me/2fa/enable", {"code": TOTP(second["secret"]).fresh()}, token=account.access)
    assert status == 200, enabled


# --- enable -------------------------------------------------------------------------


def test_enable_before_setup_is_totp_not_setup(api):
    account = api.new_account()
    assert_error(api.post("/accounts/me/2fa/enable", {"code": "123456"}, token=account.access), 422, "totp_not_setup")


def test_enable_with_a_wrong_code_then_the_right_one(api):
    account = api.new_account()
    status, _, setup = api.post("/accounts/me/2fa/setup", token=account.access)
    assert status == 200, setup
    totp = TOTP(setup["secret"])

    assert_error(api.post("/accounts/me/2fa/enable", {"code": totp.wrong()}, token=account.access), 401, "invalid_totp")
    assert_error(api.post("/accounts/me/2fa/enable", {"code": 123456}, token=account.access), 422, "invalid_request")

    status, _, enabled = api.post("/accounts/me/2fa/enable", {"code": totp.fresh()}, token=account.access)
    assert status == 200, enabled
    codes = enabled["backup_codes"]
    assert isinstance(codes, list) and len(codes) == 10
    for code in codes:
        assert BACKUP_CODE_RE.match(code), code
    assert len(set(codes)) == 10

    # Already enabled: enable and setup are both 409.
    assert_error(api.post("/accounts/me/2fa/enable", {"code": totp.fresh()}, token=account.access), 409, "totp_already_enabled")
    assert_error(api.post("/accounts/me/2fa/setup", token=account.access), 409, "totp_already_enabled")

    # The session that enabled it stays signed in.
    assert api.me(account.access)[0] == 200


# --- sign-in with a challenge ----------------------------------------------------


def test_sign_in_with_2fa_needs_the_totp_step(api):
    account = api.new_account()
    enable_2fa(api, account)

    status, _, challenge = api.sign_in(account.email, account.password)
    assert status == 200, challenge
    assert challenge["totp_required"] is True
    assert CHALLENGE_RE.match(challenge["totp_token"]), challenge["totp_token"]
    assert challenge["expires_in"] == 300
    assert "access_token" not in challenge and "refresh_token" not in challenge
    token = challenge["totp_token"]

    # The challenge token is not a bearer token.
    assert_error(api.me(token), 401, "unauthorized")

    assert_error(complete(api, token, account.totp.wrong()), 401, "invalid_totp")
    # An unknown challenge is invalid_token whatever the code.
    assert_error(complete(api, "cdc_" + "A" * 43, account.totp.wrong()), 401, "invalid_token")
    status, _, session = complete(api, token, account.totp.fresh())
    assert status == 200, session
    assert_session(session)
    status, _, me = api.me(session["access_token"])
    assert status == 200 and me["id"] == account.id

    # The challenge is used up.
    assert_error(complete(api, token, account.totp.wrong()), 401, "invalid_token")


def test_complete_rejects_garbage_and_malformed_bodies(api):
    assert_error(complete(api, "garbage", "123456"), 401, "invalid_token")
    assert_error(api.post("/sessions/2fa", {"totp_token": "cdc_" + "A" * 43}), 422, "invalid_request")
    assert_error(api.post("/sessions/2fa", raw=b"not json"), 422, "invalid_request")


def test_a_totp_code_is_accepted_only_once(api):
    account = api.new_account()
    enable_2fa(api, account)

    code = account.totp.fresh()
    status, _, session = complete(api, totp_challenge(api, account), code)
    assert status == 200, session

    # The same code (the same step) a second time, still inside the ±1 window.
    assert_error(complete(api, totp_challenge(api, account), code), 401, "invalid_totp")


def test_a_backup_code_works_once(api):
    account = api.new_account()
    backup = enable_2fa(api, account)

    status, _, session = complete(api, totp_challenge(api, account), backup[0])
    assert status == 200, session
    assert_session(session)

    challenge = totp_challenge(api, account)
    assert_error(complete(api, challenge, backup[0]), 401, "invalid_totp")
    # Backup codes are accepted without dashes and in any case; one wrong
    # code does not end the challenge.
    status, _, session = complete(api, challenge, backup[1].replace("-", "").upper())
    assert status == 200, session
    assert_session(session)


def test_five_wrong_codes_end_the_challenge(api):
    account = api.new_account()
    backup = enable_2fa(api, account)
    challenge = totp_challenge(api, account)
    for _ in range(5):
        assert_error(complete(api, challenge, account.totp.wrong()), 401, "invalid_totp")
    assert_error(complete(api, challenge, backup[0]), 401, "invalid_token")


# --- backup codes -------------------------------------------------------------------


def test_regenerate_backup_codes(api):
    account = api.new_account()
    old = enable_2fa(api, account)

    assert_error(api.post("/accounts/me/2fa/backup-codes", {"code": account.totp.wrong()}, token=account.access), 401, "invalid_totp")

    status, _, body = api.post("/accounts/me/2fa/backup-codes", {"code": account.totp.fresh()}, token=account.access)
    assert status == 200, body
    new = body["backup_codes"]
    assert len(new) == 10 and len(set(new)) == 10
    for code in new:
        assert BACKUP_CODE_RE.match(code), code
    assert not set(new) & set(old)

    # The old codes are void, the new ones work.
    challenge = totp_challenge(api, account)
    assert_error(complete(api, challenge, old[0]), 401, "invalid_totp")
    status, _, session = complete(api, challenge, new[0])
    assert status == 200, session

    # A backup code also authorizes regeneration.
    status, _, again = api.post("/accounts/me/2fa/backup-codes", {"code": new[1]}, token=account.access)
    assert status == 200, again
    assert not set(again["backup_codes"]) & set(new)


def test_backup_codes_and_disable_need_2fa_enabled(api):
    account = api.new_account()
    assert_error(api.post("/accounts/me/2fa/backup-codes", {"code": "123456"}, token=account.access), 422, "totp_not_enabled")
    assert_error(api.delete("/accounts/me/2fa", {"code": "123456"}, token=account.access), 422, "totp_not_enabled")
    # Set up but not enabled is still "not enabled".
    assert api.post("/accounts/me/2fa/setup", token=account.access)[0] == 200
    assert_error(api.delete("/accounts/me/2fa", {"code": "123456"}, token=account.access), 422, "totp_not_enabled")


# --- disable -----------------------------------------------------------------------


def test_disable_2fa(api):
    account = api.new_account()
    enable_2fa(api, account)

    assert_error(api.delete("/accounts/me/2fa", {"code": account.totp.wrong()}, token=account.access), 401, "invalid_totp")
    # Still enabled after the failed attempt.
    assert api.sign_in(account.email, account.password)[2].get("totp_required") is True

    status, _, body = api.delete("/accounts/me/2fa", {"code": account.totp.fresh()}, token=account.access)
    assert status == 204, body

    # Sign-in hands out session tokens directly again.
    status, _, session = api.sign_in(account.email, account.password)
    assert status == 200, session
    assert_session(session)

    # And 2FA can be set up afresh.
    status, _, setup = api.post("/accounts/me/2fa/setup", token=account.access)
    assert status == 200, setup


def test_wrong_code_helper_is_really_wrong():
    # Guard for the helpers above: RFC 6238 appendix B vector (SHA-1, T=59 s).
    secret = base64.b32encode(b"12345678901234567890").decode().rstrip("=")
    assert totp_at(secret, 59 // 30) == "287082"
    assert totp_at(secret, 1111111109 // 30) == "081804"
    code = wrong_code(secret)
    now = current_step()
    assert code not in {totp_at(secret, s) for s in range(now - 1, now + 2)}


# --- the external oracle ------------------------------------------------------------

ORACLE = Path(__file__).resolve().parents[3] / "shared" / "oracles" / "totp-vectors.py"


def test_pyotp_oracle_reads_our_qr_code_and_agrees_on_an_accepted_code(api, tmp_path):
    """../shared/oracles/totp-vectors.py decodes the server's QR PNG with
    zbarimg, parses the otpauth URL with pyotp, and checks that a code the
    server accepted at a given time is pyotp's code for that time."""
    assert ORACLE.exists(), f"the shared oracles are expected beside the repository: {ORACLE}"
    account = api.new_account()
    status, _, setup = api.post("/accounts/me/2fa/setup", token=account.access)
    assert status == 200
    png = tmp_path / "qr.png"
    png.write_bytes(base64.b64decode(setup["qr_code_png"]))
    now = int(time.time())
    code = totp_at(setup["secret"], now // 30)
    status, _, body = api.post("/accounts/me/2fa/enable", {"code": code}, token=account.access)
    assert status == 200, body
    result = subprocess.run(
        [sys.executable, str(ORACLE), "--qr", str(png), "--at", str(now), "--code", code],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
