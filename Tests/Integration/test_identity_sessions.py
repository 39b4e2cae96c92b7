"""Sessions over the real binary: sign-in, refresh rotation with reuse
detection, sign-out, and the lockout after repeated failed sign-ins."""

import pytest

from identity_helpers import (
    assert_error,
    assert_session,
    random_password,
    start_server,
    unique_email,
)


@pytest.fixture(scope="module")
def api():
    handle, cleanup = start_server("sessions")
    yield handle.client
    cleanup()


# --- sign-in --------------------------------------------------------------------


def test_sign_in_returns_a_session(api):
    address, password = unique_email(), random_password()
    assert api.sign_up(address, password)[0] == 201
    status, headers, session = api.sign_in(address, password)
    assert status == 200, session
    assert headers["Content-Type"].startswith("application/json")
    assert_session(session)
    assert session["access_token"][4:] not in session["refresh_token"]

    status, _, me = api.me(session["access_token"])
    assert status == 200, me
    assert me["email"] == address


def test_each_sign_in_is_a_new_session(api):
    account = api.new_account()
    second = api.session(account)
    assert second["access_token"] != account.access
    assert second["refresh_token"] != account.refresh
    # The session id embedded in the refresh token differs.
    assert second["refresh_token"][4:30] != account.refresh[4:30]
    assert api.me(account.access)[0] == 200
    assert api.me(second["access_token"])[0] == 200


def test_sign_in_with_a_wrong_password_is_invalid_credentials(api):
    account = api.new_account()
    assert_error(api.sign_in(account.email, account.password + "x"), 401, "invalid_credentials")


def test_sign_in_with_an_unknown_email_is_invalid_credentials(api):
    assert_error(api.sign_in(unique_email("nobody"), random_password()), 401, "invalid_credentials")


@pytest.mark.parametrize(
    "body,raw",
    [
        ({"email": "someone@example.com"}, None),
        ({"email": "someone@example.com", "password": 12345678}, None),
        ({"email": ["someone@example.com"], "password": "long-enough"}, None),
        (None, b"not json at all"),
        (None, b"[1, 2, 3]"),
    ],
)
def test_sign_in_rejects_a_malformed_body(api, body, raw):
    if raw is not None:
        response = api.post("/sessions", raw=raw)
    else:
        response = api.post("/sessions", body)
    assert_error(response, 422, "invalid_request")


# --- refresh ----------------------------------------------------------------------


def test_refresh_rotates_both_tokens(api):
    account = api.new_account()
    status, _, rotated = api.refresh(account.refresh)
    assert status == 200, rotated
    assert_session(rotated)
    assert rotated["access_token"] != account.access
    assert rotated["refresh_token"] != account.refresh
    # Same session: the embedded session id is kept.
    assert rotated["refresh_token"][4:30] == account.refresh[4:30]

    # The new pair works, the old access token is dead at once.
    status, _, me = api.me(rotated["access_token"])
    assert status == 200 and me["id"] == account.id
    assert_error(api.me(account.access), 401, "unauthorized")

    # And the new refresh token rotates again.
    status, _, again = api.refresh(rotated["refresh_token"])
    assert status == 200, again
    assert_session(again)
    assert api.me(again["access_token"])[0] == 200
    assert_error(api.me(rotated["access_token"]), 401, "unauthorized")


def test_reusing_a_rotated_refresh_token_revokes_the_session(api):
    account = api.new_account()
    other = api.session(account)
    status, _, rotated = api.refresh(account.refresh)
    assert status == 200, rotated
    assert api.me(rotated["access_token"])[0] == 200

    # The old refresh token is presented again: reuse.
    assert_error(api.refresh(account.refresh), 401, "invalid_token")

    # The whole session is gone: the current access and refresh tokens too.
    assert_error(api.me(rotated["access_token"]), 401, "unauthorized")
    assert_error(api.refresh(rotated["refresh_token"]), 401, "invalid_token")
    assert_error(api.me(account.access), 401, "unauthorized")

    # Only that session: the account's other session is untouched.
    assert api.me(other["access_token"])[0] == 200
    status, _, other_rotated = api.refresh(other["refresh_token"])
    assert status == 200, other_rotated


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "",
        "cdr_" + "0" * 26 + "A" * 43,
        "cda_" + "A" * 43,
    ],
    ids=["garbage", "empty", "unknown-session", "access-token"],
)
def test_refresh_with_an_invalid_token(api, token):
    assert_error(api.refresh(token), 401, "invalid_token")


def test_refresh_with_an_access_token_is_invalid_token(api):
    account = api.new_account()
    assert_error(api.refresh(account.access), 401, "invalid_token")
    # That did not harm the session.
    assert api.me(account.access)[0] == 200
    assert api.refresh(account.refresh)[0] == 200


def test_refresh_rejects_a_malformed_body(api):
    assert_error(api.post("/sessions/refresh", {"refresh_token": 7}), 422, "invalid_request")
    assert_error(api.post("/sessions/refresh", {}), 422, "invalid_request")
    assert_error(api.post("/sessions/refresh", raw=b"{oops"), 422, "invalid_request")


# --- sign-out -----------------------------------------------------------------------


def test_sign_out_revokes_that_session_only(api):
    account = api.new_account()
    other = api.session(account)

    status, _, body = api.delete("/sessions", {"refresh_token": account.refresh}, token=account.access)
    assert status == 204, body
    assert body is None

    assert_error(api.me(account.access), 401, "unauthorized")
    assert_error(api.refresh(account.refresh), 401, "invalid_token")

    # The other session of the same account still works.
    assert api.me(other["access_token"])[0] == 200
    assert api.refresh(other["refresh_token"])[0] == 200


def test_sign_out_needs_auth(api):
    account = api.new_account()
    assert_error(api.delete("/sessions", {"refresh_token": account.refresh}), 401, "unauthorized")
    assert_error(
        api.delete("/sessions", {"refresh_token": account.refresh}, headers={"Authorization": "Bearer nonsense"}),
        401, "unauthorized",
    )
    # Nothing was signed out.
    assert api.me(account.access)[0] == 200


def test_sign_out_with_an_api_token_revokes_the_named_session(api):
    account = api.new_account()
    other = api.session(account)
    status, _, api_token = api.post("/accounts/me/api-tokens", {"name": "sign-out"}, token=account.access)
    assert status == 201, api_token

    status, _, _ = api.delete("/sessions", {"refresh_token": other["refresh_token"]}, token=api_token["token"])
    assert status == 204
    assert_error(api.me(other["access_token"]), 401, "unauthorized")
    assert_error(api.refresh(other["refresh_token"]), 401, "invalid_token")

    # The API token and the first session are unaffected.
    assert api.me(api_token["token"])[0] == 200
    assert api.me(account.access)[0] == 200


def test_sign_out_with_an_api_token_cannot_end_another_accounts_session(api):
    victim = api.new_account()
    attacker = api.new_account()
    status, _, api_token = api.post("/accounts/me/api-tokens", {"name": "attacker"}, token=attacker.access)
    assert status == 201, api_token

    status, _, _ = api.delete("/sessions", {"refresh_token": victim.refresh}, token=api_token["token"])
    assert status == 204  # "204 either way"
    assert api.me(victim.access)[0] == 200
    assert api.refresh(victim.refresh)[0] == 200


# --- lockout --------------------------------------------------------------------------


def test_five_failed_sign_ins_lock_the_email(api):
    account = api.new_account()
    for attempt in range(5):
        assert_error(api.sign_in(account.email, f"wrong-password-{attempt}"), 401, "invalid_credentials")

    # The sixth answers 429, even with the right password.
    response = api.sign_in(account.email, account.password)
    assert_error(response, 429, "too_many_attempts")
    retry_after = response[1].get("Retry-After")
    assert retry_after is not None and retry_after.isdigit(), retry_after
    assert 0 < int(retry_after) <= 900

    # Still locked, in any case of the address.
    assert_error(api.sign_in(account.email.upper(), account.password), 429, "too_many_attempts")

    # Existing sessions are not affected, and other accounts still sign in.
    assert api.me(account.access)[0] == 200
    other = api.new_account()
    assert api.me(other.access)[0] == 200


def test_lockout_also_applies_to_unknown_emails(api):
    address = unique_email("ghost")
    for attempt in range(5):
        assert_error(api.sign_in(address, f"wrong-password-{attempt}"), 401, "invalid_credentials")
    response = api.sign_in(address, "wrong-password-again")
    assert_error(response, 429, "too_many_attempts")
    assert int(response[1]["Retry-After"]) > 0
