"""Long-lived API tokens over the real binary: create, use, list, expiry,
IP restrictions, revocation and account isolation."""

import time
from datetime import datetime, timedelta, timezone

import pytest

from identity_helpers import (
    API_TOKEN_FIELDS,
    API_TOKEN_RE,
    ID_RE,
    assert_error,
    assert_timestamp,
    parse_timestamp,
    start_server,
)

TOKENS = "/accounts/me/api-tokens"


@pytest.fixture(scope="module")
def api():
    handle, cleanup = start_server("tokens")
    yield handle.client
    cleanup()


@pytest.fixture
def account(api):
    return api.new_account()


@pytest.fixture(scope="module")
def shared(api):
    """One account for the tests that do not look at its whole token list
    (saves scrypt runs)."""
    return api.new_account()


def create(api, account, **body):
    return api.post(TOKENS, body, token=account.access)


def listed(api, account):
    status, _, tokens = api.get(TOKENS, token=account.access)
    assert status == 200, tokens
    assert isinstance(tokens, list)
    return tokens


# --- create ------------------------------------------------------------------------


def test_create_returns_the_full_token_once(api, shared):
    before = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=2)
    status, headers, token = create(api, shared, name="deploy bot")
    assert status == 201, token
    assert headers["Content-Type"].startswith("application/json")
    assert API_TOKEN_FIELDS <= set(token)
    assert ID_RE.match(token["id"]), token["id"]
    assert API_TOKEN_RE.match(token["token"]), token["token"]
    assert token["name"] == "deploy bot"
    assert token["allowed_ips"] in ([], None)
    created = assert_timestamp(token["created_at"])
    assert before <= created <= datetime.now(timezone.utc) + timedelta(seconds=2)
    assert token["expires_at"] is None
    assert token["last_used_at"] is None


def test_the_token_authenticates_and_last_used_at_is_recorded(api, shared):
    status, _, token = create(api, shared, name="reader")
    assert status == 201, token

    status, _, me = api.me(token["token"])
    assert status == 200, me
    assert me["id"] == shared.id
    assert me["email"] == shared.email

    # Recorded in the background: wait for it (60 s only ends a broken run).
    deadline = time.monotonic() + 60
    while True:
        entry = next(t for t in listed(api, shared) if t["id"] == token["id"])
        if entry["last_used_at"] is not None or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    used = assert_timestamp(entry["last_used_at"])
    assert used >= parse_timestamp(token["created_at"])


def test_list_is_newest_first_without_secrets(api, account):
    created = []
    for name in ("first", "second", "third"):
        status, _, token = create(api, account, name=name)
        assert status == 201, token
        created.append(token)

    tokens = listed(api, account)
    assert [t["id"] for t in tokens] == [t["id"] for t in reversed(created)]
    assert [t["name"] for t in tokens] == ["third", "second", "first"]
    ids = [t["id"] for t in tokens]
    assert ids == sorted(ids, reverse=True)
    for entry in tokens:
        assert API_TOKEN_FIELDS <= set(entry)
        assert entry["token"] is None
        assert entry["expires_at"] is None


def test_allowed_ips_are_returned_canonical(api, shared):
    status, _, token = create(
        api, shared, name="canonical",
        allowed_ips=["10.0.0.1", "192.168.1.0/24", "2001:DB8:0:0:0:0:0:1", "2001:db8:0:0::/32", "10.1.2.3/8"],
    )
    assert status == 201, token
    assert token["allowed_ips"] == ["10.0.0.1", "192.168.1.0/24", "2001:db8::1", "2001:db8::/32", "10.0.0.0/8"]
    entry = next(t for t in listed(api, shared) if t["id"] == token["id"])
    assert entry["allowed_ips"] == token["allowed_ips"]


def test_expires_in_sets_expires_at(api, shared):
    status, _, token = create(api, shared, name="hour", expires_in=3600)
    assert status == 201, token
    delta = parse_timestamp(token["expires_at"]) - parse_timestamp(token["created_at"])
    assert abs(delta.total_seconds() - 3600) <= 1
    status, _, token = create(api, shared, name="forever", expires_in=None)
    assert status == 201, token
    assert token["expires_at"] is None


# --- validation ----------------------------------------------------------------------


@pytest.mark.parametrize("expires_in", [-1, 0, 315360001])
def test_create_rejects_a_bad_expires_in(api, shared, expires_in):
    assert_error(create(api, shared, name="bad", expires_in=expires_in), 422, "invalid_expires_in")


def test_create_accepts_the_longest_expires_in(api, shared):
    status, _, token = create(api, shared, name="ten years", expires_in=315360000)
    assert status == 201, token
    assert token["expires_at"] is not None


@pytest.mark.parametrize(
    "allowed_ips",
    [["300.1.1.1"], ["10.0.0.0/33"], ["example.com"], ["10.0.0.0/8", ""], ["2001:db8::/129"], ["1.2.3"]],
)
def test_create_rejects_a_bad_ip(api, shared, allowed_ips):
    assert_error(create(api, shared, name="bad", allowed_ips=allowed_ips), 422, "invalid_ip")


def test_create_rejects_more_than_50_ips(api, shared):
    ips = [f"10.0.0.{i}" for i in range(51)]
    assert_error(create(api, shared, name="many", allowed_ips=ips), 422, "invalid_ip")
    status, _, token = create(api, shared, name="fifty", allowed_ips=ips[:50])
    assert status == 201, token
    assert len(token["allowed_ips"]) == 50


@pytest.mark.parametrize("name", ["", "n" * 101])
def test_create_rejects_a_bad_name(api, shared, name):
    assert_error(create(api, shared, name=name), 422, "invalid_name")


def test_create_accepts_a_100_character_name(api, shared):
    status, _, token = create(api, shared, name="n" * 100)
    assert status == 201, token
    assert token["name"] == "n" * 100


@pytest.mark.parametrize(
    "body",
    [{}, {"name": 5}, {"name": "x", "expires_in": "soon"}, {"name": "x", "allowed_ips": "10.0.0.1"}],
)
def test_create_rejects_malformed_bodies(api, shared, body):
    assert_error(api.post(TOKENS, body, token=shared.access), 422, "invalid_request")


def test_token_endpoints_need_auth(api):
    assert_error(api.get(TOKENS), 401, "unauthorized")
    assert_error(api.post(TOKENS, {"name": "x"}), 401, "unauthorized")
    assert_error(api.delete(TOKENS + "/01hzzzzzzzzzzzzzzzzzzzzzzz"), 401, "unauthorized")


# --- restrictions --------------------------------------------------------------------


def test_allowed_ips_restrict_where_the_token_works(api, shared):
    status, _, elsewhere = create(api, shared, name="elsewhere", allowed_ips=["10.0.0.0/8"])
    assert status == 201, elsewhere
    status, _, local = create(api, shared, name="local", allowed_ips=["127.0.0.0/8"])
    assert status == 201, local

    assert_error(api.me(elsewhere["token"]), 401, "unauthorized")
    status, _, me = api.me(local["token"])
    assert status == 200, me
    assert me["id"] == shared.id


def test_an_expired_token_is_unauthorized(api, shared):
    status, _, token = create(api, shared, name="short", expires_in=1)
    assert status == 201, token
    delta = parse_timestamp(token["expires_at"]) - parse_timestamp(token["created_at"])
    assert 0 <= delta.total_seconds() <= 2
    time.sleep(2.5)
    assert_error(api.me(token["token"]), 401, "unauthorized")


# --- revoke ------------------------------------------------------------------------------


def test_delete_revokes_the_token(api, shared):
    status, _, token = create(api, shared, name="doomed")
    assert status == 201, token
    assert api.me(token["token"])[0] == 200

    status, _, body = api.delete(f"{TOKENS}/{token['id']}", token=shared.access)
    assert status == 204, body
    assert_error(api.me(token["token"]), 401, "unauthorized")
    assert token["id"] not in [t["id"] for t in listed(api, shared)]

    assert_error(api.delete(f"{TOKENS}/{token['id']}", token=shared.access), 404, "not_found")


@pytest.mark.parametrize("token_id", ["not-an-id", "01hzzzzzzzzzzzzzzzzzzzzzzz"])
def test_delete_unknown_is_not_found(api, shared, token_id):
    assert_error(api.delete(f"{TOKENS}/{token_id}", token=shared.access), 404, "not_found")


def test_accounts_cannot_see_or_delete_each_others_tokens(api):
    alice = api.new_account()
    bob = api.new_account()
    status, _, token = create(api, alice, name="alice's")
    assert status == 201, token

    assert_error(api.delete(f"{TOKENS}/{token['id']}", token=bob.access), 404, "not_found")
    assert token["id"] not in [t["id"] for t in listed(api, bob)]

    # Still alive and Alice's.
    status, _, me = api.me(token["token"])
    assert status == 200 and me["id"] == alice.id
    assert token["id"] in [t["id"] for t in listed(api, alice)]
