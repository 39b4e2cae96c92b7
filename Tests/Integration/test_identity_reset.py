"""Password reset over the real binary, with the reset mail captured by a
local SMTP smarthost; plus the configured TOTP issuer."""

import re
import time
import urllib.parse

import pytest

from identity_helpers import (
    RESET_RE,
    SMTPCapture,
    assert_error,
    assert_session,
    random_password,
    start_server,
    unique_email,
)

PUBLIC_URL = "https://conduit.example.test"
MAIL_FROM = "conduit@conduit.test"
ISSUER = "AcmeMail"
RESET = "/accounts/me/password-reset"
LINK_RE = re.compile(r"(https?://[^\s<>\"]+/reset-password\?token=[A-Za-z0-9_%-]+)")


@pytest.fixture(scope="module")
def smtp():
    capture = SMTPCapture()
    yield capture
    capture.close()


@pytest.fixture(scope="module")
def api(smtp):
    handle, cleanup = start_server(
        "reset",
        extra=f'[mail]\nsmarthost = "127.0.0.1:{smtp.port}"\nfrom = "{MAIL_FROM}"\n',
        api_settings=f'public_url = "{PUBLIC_URL}"\ntotp_issuer = "{ISSUER}"\n',
    )
    yield handle.client
    cleanup()


def request_reset(api, address):
    status, _, body = api.post(RESET, {"email": address})
    assert status == 202, body


def reset_links(mail):
    return LINK_RE.findall(mail.text())


def token_from(mail):
    links = reset_links(mail)
    assert len(set(links)) == 1, mail.text()
    link = links[0]
    assert link.startswith(f"{PUBLIC_URL}/reset-password?token="), link
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    token = query["token"][0]
    assert RESET_RE.match(token), token
    return token


def confirm(api, token, new_password):
    return api.put(RESET, {"token": token, "new_password": new_password})


# --- requesting ------------------------------------------------------------------


def test_reset_mail_is_sent_for_an_existing_account(api, smtp):
    account = api.new_account()
    request_reset(api, account.email)
    [mail] = smtp.wait_for(account.email)

    assert mail.mail_from == MAIL_FROM
    assert [r.lower() for r in mail.recipients] == [account.email]
    assert MAIL_FROM in str(mail.message["From"])
    assert account.email in str(mail.message["To"]).lower()
    assert mail.message["Subject"]
    assert mail.message["Date"]
    assert mail.message.get_body(preferencelist=("plain",)) is not None
    token_from(mail)


def test_unknown_email_gets_202_and_no_mail(api, smtp):
    ghost = unique_email("ghost")
    request_reset(api, ghost)

    # A known address requested afterwards does get its mail; by then the
    # ghost's would have gone out too, if there were one.
    account = api.new_account()
    request_reset(api, account.email)
    smtp.wait_for(account.email)
    time.sleep(1.5)
    assert smtp.to(ghost) == []


@pytest.mark.parametrize("address", ["not an email", "", "@@", "x" * 300])
def test_any_string_is_accepted(api, address):
    status, _, _ = api.post(RESET, {"email": address})
    assert status == 202


def test_reset_request_rejects_a_malformed_body(api):
    assert_error(api.post(RESET, raw=b"definitely not json"), 422, "invalid_request")
    assert_error(api.post(RESET, {"email": 12}), 422, "invalid_request")
    assert_error(api.post(RESET, {}), 422, "invalid_request")


def test_reset_request_matches_the_address_in_any_case(api, smtp):
    account = api.new_account()
    request_reset(api, account.email.upper())
    [mail] = smtp.wait_for(account.email)
    token_from(mail)


# --- confirming ------------------------------------------------------------------


def test_password_reset_end_to_end(api, smtp):
    account = api.new_account()
    other = api.session(account)
    request_reset(api, account.email)
    [mail] = smtp.wait_for(account.email)
    token = token_from(mail)

    # Requesting a reset changes nothing yet.
    assert api.me(account.access)[0] == 200

    # A rejected new password does not use the token up.
    assert_error(confirm(api, token, "short"), 422, "invalid_password")
    assert_error(confirm(api, token, "p" * 129), 422, "invalid_password")

    new_password = random_password()
    status, _, body = confirm(api, token, new_password)
    assert status == 204, body

    # Every session of the account is revoked.
    for session in (account.session, other):
        assert_error(api.me(session["access_token"]), 401, "unauthorized")
        assert_error(api.refresh(session["refresh_token"]), 401, "invalid_token")

    # Single use.
    assert_error(confirm(api, token, random_password()), 401, "invalid_token")

    assert_error(api.sign_in(account.email, account.password), 401, "invalid_credentials")
    status, _, session = api.sign_in(account.email, new_password)
    assert status == 200, session
    assert_session(session)


def test_a_reset_voids_the_other_outstanding_tokens(api, smtp):
    account = api.new_account()
    request_reset(api, account.email)
    request_reset(api, account.email)
    mails = smtp.wait_for(account.email, count=2)
    first, second = token_from(mails[0]), token_from(mails[1])
    assert first != second

    new_password = random_password()
    assert confirm(api, second, new_password)[0] == 204
    assert_error(confirm(api, first, random_password()), 401, "invalid_token")
    status, _, session = api.sign_in(account.email, new_password)
    assert status == 200, session


@pytest.mark.parametrize(
    "token",
    ["cdp_" + "A" * 43, "garbage", "", "cda_" + "A" * 43],
    ids=["unknown", "garbage", "empty", "access-prefix"],
)
def test_confirm_with_an_invalid_token(api, token):
    assert_error(confirm(api, token, random_password()), 401, "invalid_token")


def test_confirm_rejects_a_malformed_body(api):
    assert_error(api.put(RESET, {"token": "cdp_" + "A" * 43}), 422, "invalid_request")
    assert_error(api.put(RESET, {"token": 1, "new_password": random_password()}), 422, "invalid_request")
    assert_error(api.put(RESET, raw=b"<xml/>"), 422, "invalid_request")


# --- configured TOTP issuer ------------------------------------------------------


def test_totp_issuer_comes_from_the_config(api):
    account = api.new_account()
    status, _, setup = api.post("/accounts/me/2fa/setup", token=account.access)
    assert status == 200, setup
    assert setup["otpauth_url"] == f"otpauth://totp/{ISSUER}:{account.email}?secret={setup['secret']}&issuer={ISSUER}"
