"""Accounts over the real binary: sign-up validation, the current account,
timezone, password change, account deletion, and the OpenAPI document."""

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from identity_helpers import (
    ACCOUNT_FIELDS,
    ID_RE,
    assert_error,
    assert_session,
    assert_timestamp,
    random_password,
    start_server,
    unique_email,
)


@pytest.fixture(scope="module")
def api():
    handle, cleanup = start_server("accounts")
    yield handle.client
    cleanup()


# --- sign-up ----------------------------------------------------------------


def test_sign_up_returns_the_account(api):
    address = unique_email()
    before = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=2)
    status, headers, account = api.sign_up(address, random_password())
    after = datetime.now(timezone.utc) + timedelta(seconds=2)
    assert status == 201, account
    assert headers["Content-Type"].startswith("application/json")
    assert ACCOUNT_FIELDS <= set(account)
    assert "password" not in account and "password_hash" not in account
    assert ID_RE.match(account["id"]), account["id"]
    assert account["email"] == address
    assert account["timezone"] == "UTC"
    created = assert_timestamp(account["created_at"])
    updated = assert_timestamp(account["updated_at"])
    assert before <= created <= after
    assert created <= updated <= after


def test_sign_up_trims_and_lower_cases_the_email(api):
    local = f"Mixed.Case-{uuid.uuid4().hex[:8]}"
    password = random_password()
    status, _, account = api.sign_up(f"  {local}@Example.COM ", password)
    assert status == 201, account
    address = f"{local.lower()}@example.com"
    assert account["email"] == address

    # Compared lower-cased: the same address in another case is taken ...
    assert_error(api.sign_up(address.upper(), random_password()), 409, "email_taken")
    # ... and signs in.
    status, _, session = api.sign_in(f"{local.upper()}@EXAMPLE.com", password)
    assert status == 200, session
    assert_session(session)


def test_sign_up_normalizes_an_idn_domain_to_a_labels(api):
    local = f"idn-{uuid.uuid4().hex[:8]}"
    status, _, account = api.sign_up(f"{local}@Bücher.example", random_password())
    assert status == 201, account
    assert account["email"] == f"{local}@xn--bcher-kva.example"


def test_sign_up_twice_is_email_taken(api):
    address = unique_email()
    status, _, _ = api.sign_up(address, random_password())
    assert status == 201
    assert_error(api.sign_up(address, random_password()), 409, "email_taken")


@pytest.mark.parametrize(
    "address",
    [
        "no-at-sign.example.com",
        "two@at@example.com",
        "@example.com",
        "user@",
        "with space@example.com",
        ".dot-first@example.com",
        "double..dot@example.com",
        "",
        "x" * 65 + "@example.com",
    ],
)
def test_sign_up_rejects_an_invalid_email(api, address):
    assert_error(api.sign_up(address, random_password()), 422, "invalid_email")


@pytest.mark.parametrize("password", ["seven77", "p" * 129, "e\u0301" * 64 + "e"])
def test_sign_up_rejects_an_invalid_password(api, password):
    # "e\u0301" * 64 + "e" is 65 grapheme clusters but 129 code points: the
    # bounds count code points, as openapi.json's maxLength and NIST SP
    # 800-63B do.
    address = unique_email()
    assert_error(api.sign_up(address, password), 422, "invalid_password")
    # Nothing was created: the address is still free.
    assert_error(api.sign_in(address, password), 401, "invalid_credentials")


def test_password_length_bounds_count_code_points(api):
    # "e\u0301" * 4 is 4 grapheme clusters but 8 code points: long enough.
    for password in ("eight888", "p" * 128, "e\u0301" * 4, "\U0001F44D\U0001F3FD" * 8):
        address = unique_email()
        status, _, account = api.sign_up(address, password)
        assert status == 201, (password, account)
    # Signing in with the emoji password works.
    status, _, session = api.sign_in(address, "\U0001F44D\U0001F3FD" * 8)
    assert status == 200, session


@pytest.mark.parametrize(
    "raw",
    [
        b"this is not json",
        b'{"email": "a@example.com", "password": ',
        b"[]",
        b'"just a string"',
        b"null",
    ],
)
def test_sign_up_rejects_a_body_that_is_not_a_json_object(api, raw):
    assert_error(api.post("/accounts", raw=raw), 422, "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        {"email": "wrong-type@example.com", "password": 123},
        {"email": 42, "password": "long-enough-password"},
        {"email": "missing-password@example.com"},
        {"password": "long-enough-password"},
        {},
    ],
)
def test_sign_up_rejects_missing_or_mistyped_fields(api, body):
    assert_error(api.post("/accounts", body), 422, "invalid_request")


def test_unknown_fields_are_ignored(api):
    address = unique_email()
    status, _, account = api.post("/accounts", {"email": address, "password": random_password(), "admin": True})
    assert status == 201, account
    assert account["email"] == address


def test_a_body_over_64_kib_is_payload_too_large(api):
    body = json.dumps({"email": unique_email(), "password": "x" * (65 * 1024)}).encode()
    assert_error(api.post("/accounts", raw=body), 413, "payload_too_large")


# --- the current account ------------------------------------------------------


def test_get_me_returns_the_signed_in_account(api):
    account = api.new_account()
    status, headers, me = api.me(account.access)
    assert status == 200, me
    assert headers["Content-Type"].startswith("application/json")
    assert ACCOUNT_FIELDS <= set(me)
    assert me["id"] == account.id
    assert me["email"] == account.email
    assert me["timezone"] == "UTC"
    assert me["created_at"] == account.record["created_at"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer garbage"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer cda_" + "A" * 43},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "garbage"},
    ],
    ids=["none", "garbage", "empty", "unknown-access-token", "basic", "no-scheme"],
)
def test_get_me_without_a_valid_token_is_unauthorized(api, headers):
    assert_error(api.get("/accounts/me", headers=headers), 401, "unauthorized")


def test_a_refresh_token_is_not_an_access_token(api):
    account = api.new_account()
    assert_error(api.me(account.refresh), 401, "unauthorized")


# --- timezone -----------------------------------------------------------------


def test_update_timezone(api):
    account = api.new_account()
    status, _, body = api.put("/accounts/me/timezone", {"timezone": "Europe/Berlin"}, token=account.access)
    assert status == 204, body
    assert body is None
    status, _, me = api.me(account.access)
    assert status == 200
    assert me["timezone"] == "Europe/Berlin"
    assert assert_timestamp(me["updated_at"]) >= assert_timestamp(me["created_at"])

    status, _, _ = api.put("/accounts/me/timezone", {"timezone": "America/Argentina/Buenos_Aires"}, token=account.access)
    assert status == 204
    status, _, _ = api.put("/accounts/me/timezone", {"timezone": "UTC"}, token=account.access)
    assert status == 204
    assert api.me(account.access)[2]["timezone"] == "UTC"


def test_update_timezone_rejects_unknown_names(api):
    account = api.new_account()
    for name in ("Mars/Olympus_Mons", "", "Europe/", "../../etc/passwd", "+02:00"):
        assert_error(api.put("/accounts/me/timezone", {"timezone": name}, token=account.access), 422, "invalid_timezone")
    assert api.me(account.access)[2]["timezone"] == "UTC"


def test_update_timezone_validation_and_auth(api):
    account = api.new_account()
    assert_error(api.put("/accounts/me/timezone", {"timezone": 5}, token=account.access), 422, "invalid_request")
    assert_error(api.put("/accounts/me/timezone", raw=b"{", token=account.access), 422, "invalid_request")
    assert_error(api.put("/accounts/me/timezone", {"timezone": "Europe/Berlin"}), 401, "unauthorized")


# --- change password ----------------------------------------------------------


def test_change_password(api):
    account = api.new_account()
    other = api.session(account)
    new_password = random_password()

    assert_error(
        api.put("/accounts/me/password", {"current_password": "wrong-password", "new_password": new_password}, token=account.access),
        401, "invalid_credentials",
    )
    assert_error(
        api.put("/accounts/me/password", {"current_password": account.password, "new_password": "short"}, token=account.access),
        422, "invalid_password",
    )
    assert_error(
        api.put("/accounts/me/password", {"current_password": account.password, "new_password": "p" * 129}, token=account.access),
        422, "invalid_password",
    )
    # Nothing changed so far: the other session still works.
    assert api.me(other["access_token"])[0] == 200

    status, _, body = api.put(
        "/accounts/me/password", {"current_password": account.password, "new_password": new_password}, token=account.access
    )
    assert status == 204, body

    # The calling session stays signed in, every other one is revoked.
    assert api.me(account.access)[0] == 200
    assert_error(api.me(other["access_token"]), 401, "unauthorized")
    assert_error(api.refresh(other["refresh_token"]), 401, "invalid_token")
    status, _, rotated = api.refresh(account.refresh)
    assert status == 200, rotated

    assert_error(api.sign_in(account.email, account.password), 401, "invalid_credentials")
    status, _, session = api.sign_in(account.email, new_password)
    assert status == 200, session
    assert_session(session)


def test_change_password_needs_auth_and_fields(api):
    assert_error(api.put("/accounts/me/password", {"current_password": "a" * 8, "new_password": "b" * 8}), 401, "unauthorized")
    account = api.new_account()
    assert_error(api.put("/accounts/me/password", {"current_password": account.password}, token=account.access), 422, "invalid_request")


# --- delete account -----------------------------------------------------------


def test_delete_account(api):
    account = api.new_account()
    status, _, api_token = api.post("/accounts/me/api-tokens", {"name": "before-delete"}, token=account.access)
    assert status == 201, api_token

    assert_error(api.delete("/accounts/me", {"confirm": False, "password": account.password}, token=account.access), 422, "confirmation_required")
    assert_error(api.delete("/accounts/me", {"confirm": True, "password": "wrong-password"}, token=account.access), 401, "invalid_credentials")
    # Still there.
    assert api.me(account.access)[0] == 200

    status, _, body = api.delete("/accounts/me", {"confirm": True, "password": account.password}, token=account.access)
    assert status == 204, body

    assert_error(api.me(account.access), 401, "unauthorized")
    assert_error(api.me(api_token["token"]), 401, "unauthorized")
    assert_error(api.refresh(account.refresh), 401, "invalid_token")
    assert_error(api.sign_in(account.email, account.password), 401, "invalid_credentials")

    # The address is free again.
    status, _, again = api.sign_up(account.email, random_password())
    assert status == 201, again
    assert again["id"] != account.id


def test_delete_account_needs_auth(api):
    assert_error(api.delete("/accounts/me", {"confirm": True, "password": "whatever-password"}), 401, "unauthorized")


# --- OpenAPI --------------------------------------------------------------------

IDENTITY_OPERATIONS = {
    # operationId: requires bearer auth (as the seed marks it)
    "createSession": False,
    "deleteSession": True,
    "completeTOTPSession": False,
    "refreshSession": False,
    "createAccount": False,
    "getAccount": True,
    "deleteAccount": True,
    "updateTimezone": True,
    "requestPasswordReset": False,
    "changePassword": True,
    "confirmPasswordReset": False,
    "setupTOTP": True,
    "enableTOTP": True,
    "disableTOTP": True,
    "regenerateBackupCodes": True,
    "listAPITokens": True,
    "createAPIToken": True,
    "deleteAPIToken": True,
}


def test_openapi_document(api):
    status, headers, document = api.get("/openapi.json")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert isinstance(document, dict)
    assert document["openapi"].startswith("3.1")

    operations = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                operations[operation["operationId"]] = (path, method.upper(), operation)
    for required in ("createSession", "createAccount", "setupTOTP", "createAPIToken"):
        assert required in operations, required
    assert set(IDENTITY_OPERATIONS) <= set(operations), set(IDENTITY_OPERATIONS) - set(operations)

    global_security = document.get("security", [])
    for operation_id, needs_auth in IDENTITY_OPERATIONS.items():
        security = operations[operation_id][2].get("security", global_security)
        declared = any(requirement for requirement in security)
        assert declared == needs_auth, (operation_id, security)

    expected = {
        "createSession": ("/sessions", "POST"),
        "completeTOTPSession": ("/sessions/2fa", "POST"),
        "refreshSession": ("/sessions/refresh", "POST"),
        "createAccount": ("/accounts", "POST"),
        "getAccount": ("/accounts/me", "GET"),
        "setupTOTP": ("/accounts/me/2fa/setup", "POST"),
        "createAPIToken": ("/accounts/me/api-tokens", "POST"),
        "deleteAPIToken": ("/accounts/me/api-tokens/{id}", "DELETE"),
    }
    for operation_id, (suffix, method) in expected.items():
        path, got_method, _ = operations[operation_id]
        assert path.endswith(suffix), (operation_id, path)
        assert got_method == method, (operation_id, got_method)
