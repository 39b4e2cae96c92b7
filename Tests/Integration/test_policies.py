"""SMTP security policies over the real binary: the management API only
(create, list, get, partial update, delete), field validation with its
documented error codes, canonical list formats, the user-names-only view of
SMTP credentials, per-account isolation and authentication.

The contract is docs/openapi.json and docs/API.md ("SMTP security
policies"). What a policy does to inbound mail is
tested elsewhere; detaching a deleted policy from webhooks is in
test_webhooks.py. One Conduit per module; every test uses fresh accounts or
names, so the tests do not depend on each other's order."""

import re
import uuid

import pytest

from identity_helpers import (
    ID_RE,
    assert_error,
    assert_timestamp,
    parse_timestamp,
    start_server,
)

POLICIES = "/smtp-policies"
POLICY_FIELDS = {
    "id", "name", "allowed_source_ips", "allowed_spf_domains", "allowed_dkim_domains",
    "require_spf", "require_dkim", "require_smtp_auth", "smtp_credentials",
    "dmarc_enforcement", "created_at", "updated_at",
}
LIST_FIELDS = ("allowed_source_ips", "allowed_spf_domains", "allowed_dkim_domains", "smtp_credentials")
BOOL_FIELDS = ("require_spf", "require_dkim", "require_smtp_auth")

# A well-formed identifier that no policy will ever have.
UNKNOWN_ID = "7zzzzzzzzzzzzzzzzzzzzzzzzz"

MAX_POLICIES = 100


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api():
    handle, cleanup = start_server("policies")
    yield handle.client
    cleanup()


@pytest.fixture(scope="module")
def shared_pool(api):
    return [api.new_account()]


@pytest.fixture
def shared(api, shared_pool):
    """An account for tests that do not look at its whole policy list: reused
    from test to test, and replaced before it nears the policy limit."""
    if len(listed(api, shared_pool[-1])) > MAX_POLICIES - 20:
        shared_pool.append(api.new_account())
    return shared_pool[-1]


@pytest.fixture
def account(api):
    return api.new_account()


@pytest.fixture
def other(api):
    return api.new_account()


# --- helpers --------------------------------------------------------------------------


def unique_name(prefix="policy"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create(api, account, body):
    return api.post(POLICIES, body, token=account.access)


def unique_users(text, suffix=None):
    """`text` with the user names alice, bob, carol and dave made unique:
    SMTP AUTH user names are unique on the server (409 username_taken), so
    every test uses names of its own. Pass the same suffix to rewrite an
    expected value the same way."""
    suffix = suffix or uuid.uuid4().hex[:6]
    return re.sub(r"\b(alice|bob|carol|dave)\b", lambda m: m.group(1) + suffix, text)


def make(api, account, **fields):
    body = {"name": unique_name()}
    body.update(fields)
    status, headers, policy = create(api, account, body)
    assert status == 201, (body, status, policy)
    assert headers["Content-Type"].startswith("application/json"), headers["Content-Type"]
    assert_policy(policy)
    return policy


def get(api, account, policy_id):
    return api.get(f"{POLICIES}/{policy_id}", token=account.access)


def update(api, account, policy_id, body):
    return api.put(f"{POLICIES}/{policy_id}", body, token=account.access)


def delete(api, account, policy_id):
    return api.delete(f"{POLICIES}/{policy_id}", token=account.access)


def listed(api, account):
    status, headers, policies = api.get(POLICIES, token=account.access)
    assert status == 200, (status, policies)
    assert headers["Content-Type"].startswith("application/json"), headers["Content-Type"]
    assert isinstance(policies, list), policies
    for policy in policies:
        assert_policy(policy)
    return policies


def fetched(api, account, policy_id):
    status, _, policy = get(api, account, policy_id)
    assert status == 200, (status, policy)
    assert_policy(policy)
    return policy


def assert_policy(policy):
    """Shape and types of an SmtpSecurityPolicyResponse."""
    assert isinstance(policy, dict), policy
    assert set(policy) == POLICY_FIELDS, policy
    assert isinstance(policy["id"], str) and ID_RE.match(policy["id"]), policy["id"]
    assert isinstance(policy["name"], str) and policy["name"], policy
    for field in LIST_FIELDS:
        assert isinstance(policy[field], str), (field, policy)
    for field in BOOL_FIELDS:
        assert isinstance(policy[field], bool), (field, policy)
    assert policy["dmarc_enforcement"] in ("off", "reject"), policy
    created = assert_timestamp(policy["created_at"])
    updated = assert_timestamp(policy["updated_at"])
    assert updated >= created, policy
    return policy


# --- create ---------------------------------------------------------------------------


def test_create_with_every_field(api, account):
    name = unique_name("all fields")
    t = uuid.uuid4().hex[:6]
    body = {
        "name": name,
        "allowed_source_ips": " 10.1.2.3/8,192.0.2.1 ",
        "allowed_spf_domains": "Example.COM, Bücher.example.",
        "allowed_dkim_domains": "MAIL.example.org\nsub.Example.net",
        "require_spf": True,
        "require_dkim": True,
        "require_smtp_auth": True,
        "smtp_credentials": unique_users("alice:password1, bob:password2", t),
    }
    status, headers, policy = create(api, account, body)
    assert status == 201, (status, policy)
    assert headers["Content-Type"].startswith("application/json")
    assert_policy(policy)
    assert policy["name"] == name
    assert policy["allowed_source_ips"] == "10.0.0.0/8, 192.0.2.1"
    assert policy["allowed_spf_domains"] == "example.com, xn--bcher-kva.example"
    assert policy["allowed_dkim_domains"] == "mail.example.org, sub.example.net"
    assert policy["require_spf"] is True
    assert policy["require_dkim"] is True
    assert policy["require_smtp_auth"] is True
    # Only the user names come back: the passwords are stored as hashes.
    assert policy["smtp_credentials"] == unique_users("alice, bob", t)
    assert "password1" not in str(policy) and "password2" not in str(policy)
    # GET shows the very same record.
    assert fetched(api, account, policy["id"]) == policy


def test_create_with_only_a_name_has_no_restrictions(api, shared):
    name = unique_name()
    status, _, policy = create(api, shared, {"name": name})
    assert status == 201, (status, policy)
    assert_policy(policy)
    assert policy["name"] == name
    for field in BOOL_FIELDS:
        assert policy[field] is False, (field, policy)
    for field in LIST_FIELDS:
        assert policy[field] == "", (field, policy)
    assert policy["dmarc_enforcement"] == "off", policy


def test_dmarc_enforcement_is_set_shown_and_updated(api, shared):
    policy = make(api, shared, dmarc_enforcement="reject")
    assert policy["dmarc_enforcement"] == "reject"
    assert fetched(api, shared, policy["id"])["dmarc_enforcement"] == "reject"
    status, _, answer = update(api, shared, policy["id"], {"dmarc_enforcement": "off"})
    assert status == 200 and answer["dmarc_enforcement"] == "off", answer
    status, _, answer = update(api, shared, policy["id"], {"name": unique_name()})
    assert status == 200 and answer["dmarc_enforcement"] == "off", answer
    assert_error(update(api, shared, policy["id"], {"dmarc_enforcement": "strict"}), 422, "invalid_dmarc_enforcement")


def test_booleans_can_be_set_one_by_one(api, shared):
    for field in BOOL_FIELDS:
        policy = make(api, shared, **{field: True})
        for other_field in BOOL_FIELDS:
            assert policy[other_field] is (other_field == field), (field, policy)


def test_ids_are_unique(api, shared):
    ids = {make(api, shared)["id"] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize(
    "given, canonical",
    [
        ("192.0.2.1", "192.0.2.1"),
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("192.0.2.77/24", "192.0.2.0/24"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("2001:DB8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8::1/32", "2001:db8::/32"),
        ("::1", "::1"),
        ("192.0.2.1 198.51.100.0/24", "192.0.2.1, 198.51.100.0/24"),
        ("192.0.2.1,198.51.100.0/24", "192.0.2.1, 198.51.100.0/24"),
        ("  192.0.2.1 ,  2001:db8::/48  ", "192.0.2.1, 2001:db8::/48"),
        ("", ""),
    ],
)
def test_source_ips_are_canonicalized(api, shared, given, canonical):
    policy = make(api, shared, allowed_source_ips=given)
    assert policy["allowed_source_ips"] == canonical, (given, policy)


@pytest.mark.parametrize("field", ["allowed_spf_domains", "allowed_dkim_domains"])
@pytest.mark.parametrize(
    "given, canonical",
    [
        ("example.com", "example.com"),
        ("EXAMPLE.Com.", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("a.example b.example", "a.example, b.example"),
        ("a.example,b.example", "a.example, b.example"),
        (" a.example , B.example ", "a.example, b.example"),
        ("", ""),
    ],
)
def test_domain_lists_are_normalized(api, shared, field, given, canonical):
    policy = make(api, shared, **{field: given})
    assert policy[field] == canonical, (field, given, policy)


@pytest.mark.parametrize(
    "given, users",
    [
        ("alice:password1", "alice"),
        ("alice:password1, bob:password2", "alice, bob"),
        ("alice:password1,bob:password2", "alice, bob"),
        ("alice:password1\nbob:password2", "alice, bob"),
        ("alice:password1\r\nbob:password2\n", "alice, bob"),
        # The password may contain colons: the user ends at the first one.
        ("carol:pass:word:1", "carol"),
        ("u" * 64 + ":" + "p" * 128, "u" * 64),
        ("", ""),
    ],
)
def test_smtp_credentials_show_user_names_only(api, shared, given, users):
    t = uuid.uuid4().hex[:6]
    given, users = unique_users(given, t), unique_users(users, t)
    policy = make(api, shared, smtp_credentials=given)
    assert policy["smtp_credentials"] == users, (given, policy)


def test_limits_are_inclusive(api, shared):
    name = "n" * 100
    ips = ", ".join(f"192.0.2.{i}" for i in range(1, 101))
    domains = ", ".join(f"d{i}.example" for i in range(100))
    t = uuid.uuid4().hex[:6]
    credentials = ", ".join(f"user{i}-{t}:password{i}" for i in range(20))
    policy = make(
        api, shared, name=name, allowed_source_ips=ips, allowed_spf_domains=domains,
        allowed_dkim_domains=domains, smtp_credentials=credentials,
    )
    assert policy["name"] == name
    assert policy["allowed_source_ips"] == ips
    assert policy["allowed_spf_domains"] == domains
    assert policy["allowed_dkim_domains"] == domains
    assert policy["smtp_credentials"] == ", ".join(f"user{i}-{t}" for i in range(20))


def test_name_is_counted_in_characters(api, shared):
    name = "ü" * 100  # 200 bytes, 100 characters
    assert make(api, shared, name=name)["name"] == name


# --- validation -----------------------------------------------------------------------

INVALID_FIELDS = [
    # name
    ("name", "", "invalid_name"),
    ("name", "n" * 101, "invalid_name"),
    # allowed_source_ips
    ("allowed_source_ips", "not-an-ip", "invalid_ip"),
    ("allowed_source_ips", "256.1.1.1", "invalid_ip"),
    ("allowed_source_ips", "192.0.2", "invalid_ip"),
    ("allowed_source_ips", "10.0.0.0/33", "invalid_ip"),
    ("allowed_source_ips", "10.0.0.0/-1", "invalid_ip"),
    ("allowed_source_ips", "10.0.0.0/", "invalid_ip"),
    ("allowed_source_ips", "2001:db8::/129", "invalid_ip"),
    ("allowed_source_ips", "2001:db8:::1", "invalid_ip"),
    ("allowed_source_ips", "example.com", "invalid_ip"),
    ("allowed_source_ips", "192.0.2.1, nope", "invalid_ip"),
    ("allowed_source_ips", ", ".join(f"192.0.2.{i}" for i in range(1, 102)), "invalid_ip"),
    # allowed_spf_domains
    ("allowed_spf_domains", "localhost", "invalid_domain"),
    ("allowed_spf_domains", "bad_name.example", "invalid_domain"),
    ("allowed_spf_domains", "-leading.example", "invalid_domain"),
    ("allowed_spf_domains", "a..example", "invalid_domain"),
    ("allowed_spf_domains", "192.0.2.1", "invalid_domain"),
    ("allowed_spf_domains", "x" * 64 + ".example", "invalid_domain"),
    ("allowed_spf_domains", "ok.example, bad!.example", "invalid_domain"),
    ("allowed_spf_domains", ", ".join(f"d{i}.example" for i in range(101)), "invalid_domain"),
    # allowed_dkim_domains
    ("allowed_dkim_domains", "localhost", "invalid_domain"),
    ("allowed_dkim_domains", "bad_name.example", "invalid_domain"),
    ("allowed_dkim_domains", "192.0.2.1", "invalid_domain"),
    ("allowed_dkim_domains", "ok.example, bad!.example", "invalid_domain"),
    ("allowed_dkim_domains", ", ".join(f"d{i}.example" for i in range(101)), "invalid_domain"),
    # smtp_credentials
    ("smtp_credentials", "alice", "invalid_smtp_credentials"),
    ("smtp_credentials", "alice:short", "invalid_smtp_credentials"),
    ("smtp_credentials", ":password1", "invalid_smtp_credentials"),
    ("smtp_credentials", "al ice:password1", "invalid_smtp_credentials"),
    ("smtp_credentials", "älice:password1", "invalid_smtp_credentials"),
    ("smtp_credentials", "u" * 65 + ":password1", "invalid_smtp_credentials"),
    ("smtp_credentials", "alice:" + "p" * 129, "invalid_smtp_credentials"),
    ("smtp_credentials", "alice:password1, bob", "invalid_smtp_credentials"),
    ("smtp_credentials", ", ".join(f"user{i}:password{i}" for i in range(21)), "invalid_smtp_credentials"),
    # dmarc_enforcement
    ("dmarc_enforcement", "quarantine", "invalid_dmarc_enforcement"),
    ("dmarc_enforcement", "Reject", "invalid_dmarc_enforcement"),
    ("dmarc_enforcement", "", "invalid_dmarc_enforcement"),
]

INVALID_IDS = [
    f"{field}-{index}" for index, (field, _, _) in enumerate(INVALID_FIELDS)
]


@pytest.mark.parametrize("field, value, code", INVALID_FIELDS, ids=INVALID_IDS)
def test_invalid_field_is_refused_at_create(api, shared, field, value, code):
    body = {"name": unique_name()}
    body[field] = value
    assert_error(create(api, shared, body), 422, code)


def test_refused_create_stores_nothing(api, account):
    for field, value, code in INVALID_FIELDS:
        body = {"name": unique_name(), field: value}
        assert_error(create(api, account, body), 422, code)
    assert listed(api, account) == []


@pytest.mark.parametrize(
    "raw, body",
    [
        (b"not json", None),
        (b"[]", None),
        (b'"name"', None),
        (b"{", None),
        (None, {}),
        (None, {"require_spf": True}),
        (None, {"name": None}),
        (None, {"name": 5}),
        (None, {"name": "x", "require_spf": "yes"}),
        (None, {"name": "x", "require_dkim": 1}),
        (None, {"name": "x", "allowed_source_ips": ["192.0.2.1"]}),
        (None, {"name": "x", "allowed_spf_domains": 7}),
        (None, {"name": "x", "smtp_credentials": {"alice": "password1"}}),
    ],
    ids=[
        "not-json", "array", "string", "truncated", "empty-object", "missing-name",
        "null-name", "number-name", "string-bool", "number-bool", "array-ips",
        "number-domains", "object-credentials",
    ],
)
def test_malformed_create_is_invalid_request(api, account, raw, body):
    if raw is not None:
        response = api.post(POLICIES, raw=raw, token=account.access)
    else:
        response = create(api, account, body)
    assert_error(response, 422, "invalid_request")
    assert listed(api, account) == []


def test_unknown_fields_are_ignored(api, shared):
    policy = make(api, shared, colour="blue", id=UNKNOWN_ID)
    assert policy["id"] != UNKNOWN_ID
    assert "colour" not in policy


def test_at_most_100_policies_per_account(api, account):
    for index in range(MAX_POLICIES):
        status, _, body = create(api, account, {"name": f"p{index}"})
        assert status == 201, (index, status, body)
    assert_error(create(api, account, {"name": "one too many"}), 422, "too_many_policies")
    assert len(listed(api, account)) == MAX_POLICIES
    # Deleting one makes room for one more.
    victim = listed(api, account)[-1]
    status, _, _ = delete(api, account, victim["id"])
    assert status == 204
    make(api, account, name="room again")
    assert_error(create(api, account, {"name": "again too many"}), 422, "too_many_policies")


# --- list -----------------------------------------------------------------------------


def test_fresh_account_has_no_policies(api, account):
    assert listed(api, account) == []


def test_list_is_newest_first(api, account):
    created = [make(api, account, name=f"p{index}") for index in range(5)]
    policies = listed(api, account)
    assert [p["id"] for p in policies] == [p["id"] for p in reversed(created)]
    assert policies == list(reversed(created))


def test_lists_are_isolated_per_account(api, account, other):
    mine = [make(api, account) for _ in range(2)]
    theirs = [make(api, other) for _ in range(3)]
    assert {p["id"] for p in listed(api, account)} == {p["id"] for p in mine}
    assert {p["id"] for p in listed(api, other)} == {p["id"] for p in theirs}


def test_list_shows_user_names_only(api, account):
    t = uuid.uuid4().hex[:6]
    make(api, account, smtp_credentials=unique_users("alice:password1\nbob:password2", t))
    [policy] = listed(api, account)
    assert policy["smtp_credentials"] == unique_users("alice, bob", t)


# --- get ------------------------------------------------------------------------------


def test_get_own_policy(api, shared):
    policy = make(api, shared, allowed_source_ips="192.0.2.0/24", require_dkim=True)
    assert fetched(api, shared, policy["id"]) == policy


@pytest.mark.parametrize(
    "policy_id",
    [UNKNOWN_ID, "garbage", "00000000000000000000000000", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "x" * 26, "%20"],
)
def test_get_unknown_or_garbage_id_is_not_found(api, shared, policy_id):
    assert_error(get(api, shared, policy_id), 404, "not_found")


def test_an_account_id_is_not_a_policy_id(api, shared):
    assert_error(get(api, shared, shared.id), 404, "not_found")


def test_another_accounts_policy_is_not_found(api, account, other):
    theirs = make(api, other, name="theirs", require_spf=True)
    assert_error(get(api, account, theirs["id"]), 404, "not_found")
    assert_error(update(api, account, theirs["id"], {"name": "stolen"}), 404, "not_found")
    assert_error(delete(api, account, theirs["id"]), 404, "not_found")
    # Untouched for its owner.
    assert fetched(api, other, theirs["id"]) == theirs
    assert listed(api, account) == []


# --- update ---------------------------------------------------------------------------


def full_policy(api, account):
    return make(
        api, account,
        allowed_source_ips="192.0.2.0/24, 2001:db8::/32",
        allowed_spf_domains="spf.example",
        allowed_dkim_domains="dkim.example",
        require_spf=True,
        require_dkim=True,
        require_smtp_auth=True,
        smtp_credentials=unique_users("alice:password1, bob:password2"),
    )


def test_update_only_the_name_keeps_everything_else(api, account):
    policy = full_policy(api, account)
    new_name = unique_name("renamed")
    status, headers, updated = update(api, account, policy["id"], {"name": new_name})
    assert status == 200, (status, updated)
    assert headers["Content-Type"].startswith("application/json")
    assert_policy(updated)
    assert updated["name"] == new_name
    for field in POLICY_FIELDS - {"name", "updated_at"}:
        assert updated[field] == policy[field], (field, policy, updated)
    assert parse_timestamp(updated["updated_at"]) >= parse_timestamp(policy["updated_at"])
    assert fetched(api, account, policy["id"]) == updated


def test_empty_update_changes_nothing(api, account):
    policy = full_policy(api, account)
    status, _, updated = update(api, account, policy["id"], {})
    assert status == 200, (status, updated)
    for field in POLICY_FIELDS - {"updated_at"}:
        assert updated[field] == policy[field], (field, policy, updated)


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("allowed_source_ips", "10.9.8.7/16", "10.9.0.0/16"),
        ("allowed_source_ips", "", ""),
        ("allowed_spf_domains", "Other.Example", "other.example"),
        ("allowed_spf_domains", "", ""),
        ("allowed_dkim_domains", "bücher.example", "xn--bcher-kva.example"),
        ("allowed_dkim_domains", "", ""),
        ("require_spf", False, False),
        ("require_dkim", False, False),
        ("require_smtp_auth", False, False),
        ("smtp_credentials", "carol:password3", "carol"),
        ("smtp_credentials", "", ""),
    ],
)
def test_update_one_field(api, shared, field, value, expected):
    if field == "smtp_credentials":
        t = uuid.uuid4().hex[:6]
        value, expected = unique_users(value, t), unique_users(expected, t)
    policy = full_policy(api, shared)
    status, _, updated = update(api, shared, policy["id"], {field: value})
    assert status == 200, (status, updated)
    assert_policy(updated)
    assert updated[field] == expected, (field, updated)
    for kept in POLICY_FIELDS - {field, "updated_at"}:
        assert updated[kept] == policy[kept], (kept, policy, updated)
    assert fetched(api, shared, policy["id"]) == updated


def test_sending_credentials_replaces_the_whole_set(api, shared):
    t = uuid.uuid4().hex[:6]
    policy = make(api, shared, smtp_credentials=unique_users("alice:password1, bob:password2", t))
    status, _, updated = update(api, shared, policy["id"], {"smtp_credentials": unique_users("bob:password9\ncarol:password3", t)})
    assert status == 200, (status, updated)
    assert updated["smtp_credentials"] == unique_users("bob, carol", t)


def test_update_all_fields_at_once(api, shared):
    policy = make(api, shared)
    t = uuid.uuid4().hex[:6]
    body = {
        "name": "everything",
        "allowed_source_ips": "2001:DB8::7/64 192.0.2.9",
        "allowed_spf_domains": "A.example",
        "allowed_dkim_domains": "B.example",
        "require_spf": True,
        "require_dkim": True,
        "require_smtp_auth": True,
        "smtp_credentials": unique_users("dave:password4", t),
    }
    status, _, updated = update(api, shared, policy["id"], body)
    assert status == 200, (status, updated)
    assert updated["name"] == "everything"
    assert updated["allowed_source_ips"] == "2001:db8::/64, 192.0.2.9"
    assert updated["allowed_spf_domains"] == "a.example"
    assert updated["allowed_dkim_domains"] == "b.example"
    assert updated["require_spf"] is True
    assert updated["require_dkim"] is True
    assert updated["require_smtp_auth"] is True
    assert updated["smtp_credentials"] == unique_users("dave", t)
    assert updated["id"] == policy["id"]
    assert updated["created_at"] == policy["created_at"]


@pytest.mark.parametrize("field, value, code", INVALID_FIELDS, ids=INVALID_IDS)
def test_invalid_field_is_refused_at_update(api, shared, field, value, code):
    policy = full_policy(api, shared)
    assert_error(update(api, shared, policy["id"], {field: value}), 422, code)
    assert fetched(api, shared, policy["id"]) == policy


def test_refused_update_changes_nothing(api, shared):
    policy = full_policy(api, shared)
    # A valid name next to an invalid field: the whole update is refused.
    assert_error(update(api, shared, policy["id"], {"name": "half", "allowed_source_ips": "nope"}), 422, "invalid_ip")
    assert fetched(api, shared, policy["id"]) == policy


@pytest.mark.parametrize(
    "raw, body",
    [
        (b"not json", None),
        (b"[]", None),
        (None, {"name": None}),
        (None, {"name": 5}),
        (None, {"require_smtp_auth": "true"}),
        (None, {"allowed_source_ips": ["192.0.2.1"]}),
    ],
    ids=["not-json", "array", "null-name", "number-name", "string-bool", "array-ips"],
)
def test_malformed_update_is_invalid_request(api, shared, raw, body):
    policy = full_policy(api, shared)
    path = f"{POLICIES}/{policy['id']}"
    if raw is not None:
        response = api.put(path, raw=raw, token=shared.access)
    else:
        response = api.put(path, body, token=shared.access)
    assert_error(response, 422, "invalid_request")
    assert fetched(api, shared, policy["id"]) == policy


def test_update_unknown_id_is_not_found(api, shared):
    assert_error(update(api, shared, UNKNOWN_ID, {"name": "x"}), 404, "not_found")
    assert_error(update(api, shared, "garbage", {"name": "x"}), 404, "not_found")


# --- delete ---------------------------------------------------------------------------


def test_delete_own_policy(api, account):
    keep = make(api, account)
    policy = make(api, account)
    status, _, body = delete(api, account, policy["id"])
    assert status == 204, (status, body)
    assert body is None
    assert_error(get(api, account, policy["id"]), 404, "not_found")
    assert_error(update(api, account, policy["id"], {"name": "gone"}), 404, "not_found")
    assert_error(delete(api, account, policy["id"]), 404, "not_found")
    assert listed(api, account) == [keep]


@pytest.mark.parametrize("policy_id", [UNKNOWN_ID, "garbage"])
def test_delete_unknown_or_garbage_id_is_not_found(api, shared, policy_id):
    assert_error(delete(api, shared, policy_id), 404, "not_found")


def test_deleting_the_account_removes_its_policies(api, account, other):
    policy = make(api, account)
    status, _, body = api.delete("/accounts/me", {"confirm": True, "password": account.password}, token=account.access)
    assert status == 204, (status, body)
    # Nobody can reach it any more; another account never could.
    assert_error(get(api, other, policy["id"]), 404, "not_found")
    assert_error(get(api, account, policy["id"]), 401, "unauthorized")


# --- auth -----------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "cda_" + "A" * 43, "garbage"], ids=["none", "unknown", "garbage"])
def test_every_policy_operation_needs_a_token(api, shared, token):
    policy = make(api, shared)
    path = f"{POLICIES}/{policy['id']}"
    calls = [
        ("GET", POLICIES, None),
        ("POST", POLICIES, {"name": unique_name()}),
        ("GET", path, None),
        ("PUT", path, {"name": "changed"}),
        ("DELETE", path, None),
    ]
    for method, call_path, body in calls:
        if body is None:
            response = api.call(method, call_path, token=token)
        else:
            response = api.call(method, call_path, body, token=token)
        assert_error(response, 401, "unauthorized")
    # Still there, unchanged.
    assert fetched(api, shared, policy["id"]) == policy


def test_revoked_session_cannot_manage_policies(api, account):
    policy = make(api, account)
    status, _, _ = api.delete("/sessions", token=account.access)
    assert status == 204
    assert_error(api.get(POLICIES, token=account.access), 401, "unauthorized")
    assert_error(get(api, account, policy["id"]), 401, "unauthorized")


def test_api_token_can_manage_policies(api, account):
    status, _, api_token = api.post("/accounts/me/api-tokens", {"name": "policies"}, token=account.access)
    assert status == 201, (status, api_token)
    token = api_token["token"]
    status, _, policy = api.post(POLICIES, {"name": "via api token"}, token=token)
    assert status == 201, (status, policy)
    status, _, policies = api.get(POLICIES, token=token)
    assert status == 200 and [p["id"] for p in policies] == [policy["id"]]
    # The session sees what the API token created: same account.
    assert fetched(api, account, policy["id"]) == policy
