"""Domains over the real binary: claims, name normalization, listing with
public domains, deletion, account isolation, and DNS TXT verification
against a real DNS server (dns-serve.py) that Conduit is configured to ask.

One Conduit per module; its [dns] nameservers point at one fixed loopback
port, where tests that verify (re)start dns-serve.py with the zone they need.
Every test uses fresh random domain names, so Conduit's DNS cache (positive
by TTL, negative up to 60 s) never carries answers from one test to another."""

import time
import unicodedata
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from dns_helpers import (
    DNSServer,
    dns_config,
    free_port,
    require_dns_serve,
    start_conduit,
    toml_string_array,
    txt_name,
    unique_domain,
    unique_label,
    verification_value,
)
from identity_helpers import (
    ID_RE,
    assert_error,
    assert_timestamp,
    parse_timestamp,
)

DOMAINS = "/domains"
DOMAIN_FIELDS = {"id", "account_id", "name", "is_public", "verified", "verification_token", "created_at", "updated_at"}
TOKEN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

# As configured; the API shows them normalized, public domains sorted by name.
PUBLIC_CONFIGURED = ["Public.Example", "mail.conduit.test"]
PUBLIC_NAMES = ["mail.conduit.test", "public.example"]

# A well-formed identifier that no domain will ever have.
UNKNOWN_ID = "7zzzzzzzzzzzzzzzzzzzzzzzzz"

# Conduit asks with timeout_ms = 3000 (dns_config); even with a retry or a TCP
# attempt the answer comes back within seconds. The bound tells that from a hang (the
# API's own request deadline is 60 s) and is wide for a busy CI machine.
TEMPORARY_FAILURE_BUDGET = 30.0


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dns_port():
    return free_port()


@pytest.fixture(scope="module")
def api(dns_port):
    handle, cleanup = start_conduit(
        "domains",
        extra=dns_config(dns_port),
        smtp_settings=f"public_domains = {toml_string_array(PUBLIC_CONFIGURED)}",
    )
    yield handle.client
    cleanup()


@pytest.fixture(scope="module")
def dns_server(dns_port, tmp_path_factory):
    require_dns_serve()
    server = DNSServer(dns_port, tmp_path_factory.mktemp("dns"))
    yield server
    server.close()


@pytest.fixture
def dns(dns_server):
    """The module's DNS server. What it logged during the test (zones and
    queries) is printed afterwards, which pytest shows when the test fails."""
    start = len(dns_server.log())
    yield dns_server
    print("--- dns-serve.py log ---\n" + dns_server.log()[start:][-6000:])


@pytest.fixture(scope="module")
def shared(api):
    """One account for tests that do not look at its whole domain list."""
    return api.new_account()


@pytest.fixture
def account(api):
    return api.new_account()


@pytest.fixture
def other(api):
    return api.new_account()


# --- helpers --------------------------------------------------------------------------


def create(api, account, name):
    return api.post(DOMAINS, {"name": name}, token=account.access)


def claim(api, account, name):
    status, _, domain = create(api, account, name)
    assert status == 201, (name, status, domain)
    return domain


def listed(api, account):
    status, headers, domains = api.get(DOMAINS, token=account.access)
    assert status == 200, domains
    assert headers["Content-Type"].startswith("application/json")
    assert isinstance(domains, list), domains
    return domains


def own(api, account):
    return [d for d in listed(api, account) if not d["is_public"]]


def get(api, account, domain_id):
    return api.get(f"{DOMAINS}/{domain_id}", token=account.access)


def delete(api, account, domain_id):
    return api.delete(f"{DOMAINS}/{domain_id}", token=account.access)


def verify(api, account, domain_id):
    return api.post(f"{DOMAINS}/{domain_id}/verify", token=account.access)


def account_id(api, account):
    status, _, me = api.me(account.access)
    assert status == 200, me
    return me["id"]


def assert_domain(domain):
    """Shape and types of a DomainResponse."""
    assert isinstance(domain, dict), domain
    assert set(domain) >= DOMAIN_FIELDS, domain
    assert isinstance(domain["id"], str) and ID_RE.match(domain["id"]), domain["id"]
    assert isinstance(domain["name"], str) and domain["name"], domain
    assert isinstance(domain["is_public"], bool), domain
    assert isinstance(domain["verified"], bool), domain
    created = assert_timestamp(domain["created_at"])
    updated = assert_timestamp(domain["updated_at"])
    assert updated >= created, domain
    if domain["is_public"]:
        assert domain["account_id"] is None, domain
        assert domain["verification_token"] is None, domain
        assert domain["verified"] is True, domain
    else:
        assert isinstance(domain["account_id"], str) and ID_RE.match(domain["account_id"]), domain
        token = domain["verification_token"]
        assert isinstance(token, str) and len(token) == 43 and set(token) <= TOKEN_CHARS, token
    return domain


def assert_claim(domain, account_id_, name):
    assert_domain(domain)
    assert domain["name"] == name, domain
    assert domain["account_id"] == account_id_, domain
    assert domain["is_public"] is False, domain
    assert domain["verified"] is False, domain


def a_label(unicode_label):
    """The IDNA A-label of one lower-case, NFC, non-ASCII label."""
    return "xn--" + unicodedata.normalize("NFC", unicode_label).encode("punycode").decode("ascii")


def assert_verified(domain, before):
    """`domain` is the 200 answer of a verification of `before` (the claim)."""
    assert_domain(domain)
    assert domain["verified"] is True, domain
    assert domain["is_public"] is False, domain
    for field in ("id", "account_id", "name", "verification_token", "created_at"):
        assert domain[field] == before[field], (field, before, domain)
    assert parse_timestamp(domain["updated_at"]) >= parse_timestamp(domain["created_at"]), domain


def verified_zone(domain, *extra_records):
    return {txt_name(domain["name"]): [{"TXT": verification_value(domain["verification_token"])}, *extra_records]}


def serve_and_verify(api, dns, account, domain, zone=None):
    dns.serve(zone if zone is not None else verified_zone(domain))
    status, _, body = verify(api, account, domain["id"])
    assert status == 200, (status, body, dns.log()[-2000:])
    assert_verified(body, domain)
    return body


# --- create ---------------------------------------------------------------------------


def test_create_returns_an_unverified_claim(api, account):
    me = account_id(api, account)
    assert me == account.id
    name = unique_domain()
    before = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=2)
    status, headers, domain = create(api, account, name)
    after = datetime.now(timezone.utc) + timedelta(seconds=2)
    assert status == 201, domain
    assert headers["Content-Type"].startswith("application/json")
    assert_claim(domain, me, name)
    assert before <= parse_timestamp(domain["created_at"]) <= after
    assert before <= parse_timestamp(domain["updated_at"]) <= after

    status, _, fetched = get(api, account, domain["id"])
    assert status == 200, fetched
    assert fetched == domain


def test_verification_tokens_are_random(api, shared):
    first = claim(api, shared, unique_domain())
    second = claim(api, shared, unique_domain())
    assert first["id"] != second["id"]
    assert first["verification_token"] != second["verification_token"]


def test_name_is_lowercased_and_trailing_dot_removed(api, shared):
    label = unique_label("MiXeD")
    domain = claim(api, shared, f"{label}.Example.COM.")
    assert domain["name"] == f"{label.lower()}.example.com"


def test_a_label_input_is_kept(api, shared):
    name = f"xn--bcher-kva.{unique_label('alabel')}.example"
    assert claim(api, shared, name)["name"] == name


def test_unicode_name_is_stored_as_lowercase_a_label(api, shared):
    rand = uuid.uuid4().hex[:8]
    domain = claim(api, shared, f"Bücher-Test-{rand}.example")
    name = domain["name"]
    assert name.startswith("xn--") and name.endswith(".example"), name
    assert name == name.lower() and name.isascii(), name
    assert name == f"{a_label(f'bücher-test-{rand}')}.example"


def test_unicode_input_is_nfc_normalized(api, shared):
    rand = uuid.uuid4().hex[:8]
    decomposed = f"Bu\u0308cher-{rand}.example"  # "u" + COMBINING DIAERESIS
    domain = claim(api, shared, decomposed)
    assert domain["name"] == f"{a_label(f'bücher-{rand}')}.example"
    # The composed form and the A-label are the same name.
    assert_error(create(api, shared, f"bücher-{rand}.example"), 409, "domain_already_claimed")
    assert_error(create(api, shared, domain["name"]), 409, "domain_already_claimed")


def test_idna2008_non_transitional_keeps_sharp_s(api, shared):
    label = unique_label("straße")
    domain = claim(api, shared, f"{label}.example")
    # IDNA2003 / transitional processing would have mapped ß to "ss".
    assert domain["name"] == f"{a_label(label)}.example"
    assert not domain["name"].startswith("strasse")


def test_labels_of_63_and_names_of_253_characters_are_accepted(api, shared):
    label63 = (unique_label("l63") + "a" * 63)[:63]
    assert claim(api, shared, f"{label63}.example")["name"] == f"{label63}.example"

    head = unique_label("n253")
    name = head + "." + ".".join(["b" * 63, "c" * 63, "d" * 63])
    name = name + "." + "e" * (253 - len(name) - 1)
    assert len(name) == 253
    assert claim(api, shared, name)["name"] == name


def _long_name(length):
    """A name of `length` characters whose labels are all fine."""
    name = ".".join(["a" * 63, "b" * 63, "c" * 63])
    name = name + "." + "d" * (length - len(name) - 1)
    assert len(name) == length and len(name.split(".")[-1]) <= 63
    return name


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "ex_ample.com",
        "localhost",
        "192.168.1.1",
        "a..b.com",
        ".example.com",
        "-a.com",
        "a-.com",
        "a" * 64 + ".example",
        "exa mple.com",
        "*.example.com",
        "user@example.com",
        "::1",
        "[::1]",
        "example.com/path",
        "☃-snowman.example",
        _long_name(254),
        _long_name(255),
    ],
    ids=lambda n: repr(n)[:40],
)
def test_invalid_names_are_refused(api, shared, name):
    assert_error(create(api, shared, name), 422, "invalid_domain")


def test_invalid_name_creates_nothing(api, account):
    assert_error(create(api, account, "ex_ample.com"), 422, "invalid_domain")
    assert own(api, account) == []


@pytest.mark.parametrize(
    "raw,body",
    [
        (b"not json", None),
        (b'{"name": ', None),
        (None, ["a.example"]),
        (None, "a.example"),
        (None, {}),
        (None, {"domain": "a.example"}),
        (None, {"name": None}),
        (None, {"name": 123}),
        (None, {"name": ["a.example"]}),
        (None, {"name": {"a": "example"}}),
    ],
    ids=["not-json", "truncated", "array", "string", "empty-object", "wrong-field",
         "null-name", "number-name", "array-name", "object-name"],
)
def test_malformed_requests_are_invalid_request(api, shared, raw, body):
    if raw is not None:
        response = api.post(DOMAINS, raw=raw, token=shared.access)
    else:
        response = api.post(DOMAINS, body, token=shared.access)
    assert_error(response, 422, "invalid_request")


def test_unknown_fields_are_ignored(api, shared):
    name = unique_domain()
    status, _, domain = api.post(
        DOMAINS, {"name": name, "verified": True, "is_public": True, "account_id": None}, token=shared.access
    )
    assert status == 201, domain
    assert domain["verified"] is False and domain["is_public"] is False
    assert domain["account_id"] == shared.id


def test_claiming_the_same_name_twice_conflicts(api, account):
    name = unique_domain()
    first = claim(api, account, name)
    assert_error(create(api, account, name), 409, "domain_already_claimed")
    assert_error(create(api, account, name.upper() + "."), 409, "domain_already_claimed")
    assert own(api, account) == [first]


def test_another_account_may_claim_an_unverified_name(api, account, other):
    name = unique_domain()
    mine = claim(api, account, name)
    theirs = claim(api, other, name)
    assert_claim(theirs, other.id, name)
    assert theirs["id"] != mine["id"]
    assert theirs["verification_token"] != mine["verification_token"]
    assert own(api, account) == [mine]
    assert own(api, other) == [theirs]


def test_at_most_100_domains_per_account(api, account):
    created = [claim(api, account, unique_domain("many")) for _ in range(100)]
    assert_error(create(api, account, unique_domain("many")), 422, "too_many_domains")
    domains = listed(api, account)
    assert len([d for d in domains if not d["is_public"]]) == 100
    assert [d["name"] for d in domains if d["is_public"]] == PUBLIC_NAMES

    status, _, _ = delete(api, account, created[0]["id"])
    assert status == 204
    claim(api, account, unique_domain("many"))
    assert_error(create(api, account, unique_domain("many")), 422, "too_many_domains")


# --- list -----------------------------------------------------------------------------


def test_fresh_account_lists_only_public_domains(api, account):
    domains = listed(api, account)
    assert [d["name"] for d in domains] == PUBLIC_NAMES
    for domain in domains:
        assert_domain(domain)
        assert domain["is_public"] is True


def test_list_is_newest_first_then_public_domains_by_name(api, account):
    created = [claim(api, account, unique_domain(f"order{i}")) for i in range(3)]
    domains = listed(api, account)
    assert len(domains) == 5, domains
    assert domains[:3] == list(reversed(created))
    assert [d["name"] for d in domains[3:]] == PUBLIC_NAMES
    assert all(d["is_public"] for d in domains[3:])
    for domain in domains:
        assert_domain(domain)


# --- get / delete ---------------------------------------------------------------------


def test_get_own_domain(api, shared):
    domain = claim(api, shared, unique_domain())
    status, headers, fetched = get(api, shared, domain["id"])
    assert status == 200, fetched
    assert headers["Content-Type"].startswith("application/json")
    assert fetched == domain


@pytest.mark.parametrize("domain_id", ["nope", UNKNOWN_ID, "0" * 26, "7" + "z" * 26, "x" * 300])
def test_get_unknown_id_is_not_found(api, shared, domain_id):
    assert_error(get(api, shared, domain_id), 404, "not_found")


def test_an_account_id_is_not_a_domain_id(api, shared):
    assert_error(get(api, shared, shared.id), 404, "not_found")


def test_delete_own_domain(api, account):
    keep = claim(api, account, unique_domain("keep"))
    name = unique_domain("gone")
    gone = claim(api, account, name)
    status, _, body = delete(api, account, gone["id"])
    assert status == 204
    assert body is None
    assert_error(get(api, account, gone["id"]), 404, "not_found")
    assert own(api, account) == [keep]
    assert_error(delete(api, account, gone["id"]), 404, "not_found")
    assert_error(verify(api, account, gone["id"]), 404, "not_found")
    # The name is free again, with a new id and token.
    again = claim(api, account, name)
    assert again["id"] != gone["id"]
    assert again["verification_token"] != gone["verification_token"]


def test_delete_unknown_id_is_not_found(api, shared):
    assert_error(delete(api, shared, UNKNOWN_ID), 404, "not_found")
    assert_error(delete(api, shared, "nope"), 404, "not_found")


# --- isolation ------------------------------------------------------------------------


def test_accounts_only_see_their_own_domains(api, account, other):
    mine = claim(api, account, unique_domain("mine"))
    theirs = claim(api, other, unique_domain("theirs"))

    assert own(api, account) == [mine]
    assert own(api, other) == [theirs]

    assert_error(get(api, other, mine["id"]), 404, "not_found")
    assert_error(verify(api, other, mine["id"]), 404, "not_found")
    assert_error(delete(api, other, mine["id"]), 404, "not_found")
    assert_error(get(api, account, theirs["id"]), 404, "not_found")
    assert_error(delete(api, account, theirs["id"]), 404, "not_found")

    # Nothing was removed by the refused calls.
    status, _, fetched = get(api, account, mine["id"])
    assert status == 200 and fetched == mine
    status, _, fetched = get(api, other, theirs["id"])
    assert status == 200 and fetched == theirs


# --- auth -----------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "cda_" + "A" * 43, "garbage"], ids=["none", "unknown", "garbage"])
def test_every_domain_operation_needs_a_token(api, shared, token):
    domain = claim(api, shared, unique_domain())
    path = f"{DOMAINS}/{domain['id']}"
    calls = [
        ("GET", DOMAINS, None),
        ("POST", DOMAINS, {"name": unique_domain()}),
        ("GET", path, None),
        ("DELETE", path, None),
        ("POST", path + "/verify", None),
    ]
    for method, call_path, body in calls:
        if body is None:
            response = api.call(method, call_path, token=token)
        else:
            response = api.call(method, call_path, body, token=token)
        assert_error(response, 401, "unauthorized")
    # Still there, still unverified.
    status, _, fetched = get(api, shared, domain["id"])
    assert status == 200 and fetched == domain


# --- public domains -------------------------------------------------------------------


def public_domains(api, account):
    return [d for d in listed(api, account) if d["is_public"]]


def test_public_domains_are_listed_for_every_account(api, account, other):
    claim(api, account, unique_domain())
    first = public_domains(api, account)
    second = public_domains(api, other)
    assert [d["name"] for d in first] == PUBLIC_NAMES
    assert first == second  # same ids, same everything
    assert first == public_domains(api, account)  # stable
    for domain in first:
        assert_domain(domain)
        assert domain["is_public"] is True
        assert domain["verified"] is True
        assert domain["account_id"] is None
        assert domain["verification_token"] is None
    assert len({d["id"] for d in first}) == len(first)


def test_public_domain_can_be_fetched_by_id(api, account, other):
    for domain in public_domains(api, account):
        for who in (account, other):
            status, _, fetched = get(api, who, domain["id"])
            assert status == 200, fetched
            assert fetched == domain


def test_public_domain_cannot_be_deleted(api, account):
    before = public_domains(api, account)
    for domain in before:
        assert_error(delete(api, account, domain["id"]), 403, "public_domain")
    assert public_domains(api, account) == before


@pytest.mark.parametrize("name", ["public.example", "Public.Example.", "PUBLIC.EXAMPLE", "mail.conduit.test"])
def test_public_domain_cannot_be_claimed(api, shared, name):
    assert_error(create(api, shared, name), 409, "domain_already_claimed")


def test_verifying_a_public_domain_succeeds(api, account):
    for domain in public_domains(api, account):
        status, _, body = verify(api, account, domain["id"])
        assert status == 200, body
        assert body == domain


# --- verification ---------------------------------------------------------------------


def test_verify_with_matching_record(api, dns, account, other):
    name = unique_domain("verify")
    mine = claim(api, account, name)
    theirs = claim(api, other, name)

    verified = serve_and_verify(api, dns, account, mine)
    assert verified["name"] == name

    status, _, fetched = get(api, account, mine["id"])
    assert status == 200 and fetched == verified
    assert own(api, account) == [verified]

    # First to verify wins: the other account's unverified claim is gone.
    assert own(api, other) == []
    assert name not in [d["name"] for d in listed(api, other)]
    assert_error(get(api, other, theirs["id"]), 404, "not_found")
    assert_error(verify(api, other, theirs["id"]), 404, "not_found")

    # A verified name can be claimed by nobody, the owner included.
    third = api.new_account()
    assert_error(create(api, third, name), 409, "domain_already_claimed")
    assert_error(create(api, other, name), 409, "domain_already_claimed")
    assert_error(create(api, account, name), 409, "domain_already_claimed")
    assert own(api, third) == []


def test_verifying_a_verified_domain_again_succeeds(api, dns, shared):
    domain = claim(api, shared, unique_domain("again"))
    verified = serve_and_verify(api, dns, shared, domain)
    # No lookup is needed any more: even with nothing answering it is 200.
    dns.stop()
    status, _, body = verify(api, shared, domain["id"])
    assert status == 200, body
    assert body["verified"] is True
    assert {k: v for k, v in body.items() if k != "updated_at"} == {
        k: v for k, v in verified.items() if k != "updated_at"
    }


def test_the_first_account_to_verify_wins(api, dns, account, other):
    name = unique_domain("race")
    mine = claim(api, account, name)
    theirs = claim(api, other, name)
    # The record carries the other account's token.
    dns.serve(verified_zone(theirs))
    assert_error(verify(api, account, mine["id"]), 422, "dns_record_mismatch")
    status, _, body = verify(api, other, theirs["id"])
    assert status == 200, body
    assert_verified(body, theirs)
    assert_error(get(api, account, mine["id"]), 404, "not_found")
    assert own(api, account) == []
    assert_error(create(api, account, name), 409, "domain_already_claimed")


def test_deleting_a_verified_domain_releases_the_name(api, dns, account, other):
    name = unique_domain("release")
    domain = claim(api, account, name)
    serve_and_verify(api, dns, account, domain)
    assert_error(create(api, other, name), 409, "domain_already_claimed")
    status, _, _ = delete(api, account, domain["id"])
    assert status == 204
    assert_claim(claim(api, other, name), other.id, name)


def test_verify_without_record_is_not_found(api, dns, shared):
    domain = claim(api, shared, unique_domain("absent"))
    # Other names exist, `_conduit.<name>` does not: NXDOMAIN.
    dns.serve({"_conduit.unrelated.example": [{"TXT": "conduit-verification=x"}]})
    assert_error(verify(api, shared, domain["id"]), 422, "dns_record_not_found")
    status, _, fetched = get(api, shared, domain["id"])
    assert status == 200 and fetched["verified"] is False


def test_verify_with_no_txt_data_is_not_found(api, dns, shared):
    domain = claim(api, shared, unique_domain("nodata"))
    # The name exists, but has no TXT records: NOERROR without answers.
    dns.serve({txt_name(domain["name"]): [{"A": "192.0.2.1"}]})
    assert_error(verify(api, shared, domain["id"]), 422, "dns_record_not_found")


def test_record_in_the_wrong_place_is_not_found(api, dns, shared):
    domain = claim(api, shared, unique_domain("place"))
    value = verification_value(domain["verification_token"])
    dns.serve({
        domain["name"]: [{"TXT": value}],
        f"_conduit-verification.{domain['name']}": [{"TXT": value}],
        f"_conduit.www.{domain['name']}": [{"TXT": value}],
    })
    assert_error(verify(api, shared, domain["id"]), 422, "dns_record_not_found")


def test_other_txt_values_are_a_mismatch(api, dns, shared):
    domain = claim(api, shared, unique_domain("mismatch"))
    dns.serve({txt_name(domain["name"]): [
        {"TXT": "v=spf1 -all"},
        {"TXT": "conduit-verification=not-the-token"},
        {"TXT": ["google-site-verification=", "abc"]},
    ]})
    assert_error(verify(api, shared, domain["id"]), 422, "dns_record_mismatch")
    status, _, fetched = get(api, shared, domain["id"])
    assert status == 200 and fetched == domain


@pytest.mark.parametrize(
    "make_value",
    [
        lambda token: token,
        lambda token: "conduit-verification=" + token + "x",
        lambda token: "conduit-verification=" + token[:-1],
        lambda token: "conduit-verification= " + token,
        lambda token: " conduit-verification=" + token,
        lambda token: "conduit-verification=" + token + " ",
        lambda token: "conduit-verification:" + token,
        lambda token: ["conduit-verification=" + token, "trailing"],
    ],
    ids=["token-only", "suffix", "truncated", "space-after-equals", "leading-space",
         "trailing-space", "colon", "extra-string"],
)
def test_near_misses_are_a_mismatch(api, dns, shared, make_value):
    domain = claim(api, shared, unique_domain("near"))
    dns.serve({txt_name(domain["name"]): [{"TXT": make_value(domain["verification_token"])}]})
    assert_error(verify(api, shared, domain["id"]), 422, "dns_record_mismatch")


@pytest.mark.parametrize(
    "split",
    [
        lambda token: ["conduit-verification=", token],
        lambda token: ["conduit-", "verification=" + token[:10], token[10:]],
        lambda token: ["conduit-verification=" + token[:20], token[20:]],
    ],
    ids=["prefix|token", "three-parts", "mid-token"],
)
def test_token_split_across_character_strings_verifies(api, dns, shared, split):
    domain = claim(api, shared, unique_domain("split"))
    serve_and_verify(api, dns, shared, domain, zone={
        txt_name(domain["name"]): [{"TXT": split(domain["verification_token"])}],
    })


def test_token_among_several_records_verifies(api, dns, shared):
    domain = claim(api, shared, unique_domain("several"))
    serve_and_verify(api, dns, shared, domain, zone={txt_name(domain["name"]): [
        {"TXT": "v=spf1 -all"},
        {"TXT": "conduit-verification=someone-elses-token"},
        {"TXT": verification_value(domain["verification_token"])},
        {"TXT": ["another", "record"]},
    ]})


def test_unicode_domain_is_verified_at_its_a_label(api, dns, shared):
    rand = uuid.uuid4().hex[:8]
    domain = claim(api, shared, f"Bücher-{rand}.example")
    assert domain["name"] == f"{a_label(f'bücher-{rand}')}.example"
    serve_and_verify(api, dns, shared, domain)


def test_dns_timeout_is_a_temporary_failure(api, dns, shared):
    domain = claim(api, shared, unique_domain("timeout"))
    dns.serve({txt_name(domain["name"]): [{"TXT": "TIMEOUT"}]})
    started = time.monotonic()
    response = verify(api, shared, domain["id"])
    elapsed = time.monotonic() - started
    assert_error(response, 422, "dns_temporary_failure")
    assert elapsed < TEMPORARY_FAILURE_BUDGET, elapsed
    status, _, fetched = get(api, shared, domain["id"])
    assert status == 200 and fetched == domain


def test_dns_timeout_for_every_type_is_a_temporary_failure(api, dns, shared):
    domain = claim(api, shared, unique_domain("timeoutall"))
    dns.serve({txt_name(domain["name"]): ["TIMEOUT"]})
    started = time.monotonic()
    assert_error(verify(api, shared, domain["id"]), 422, "dns_temporary_failure")
    assert time.monotonic() - started < TEMPORARY_FAILURE_BUDGET


def test_servfail_is_a_temporary_failure(api, dns, shared):
    domain = claim(api, shared, unique_domain("servfail"))
    dns.serve({txt_name(domain["name"]): [{"TXT": "TIMEOUT"}]}, timeout_mode="servfail")
    assert_error(verify(api, shared, domain["id"]), 422, "dns_temporary_failure")
    status, _, fetched = get(api, shared, domain["id"])
    assert status == 200 and fetched["verified"] is False


def test_unreachable_nameserver_is_a_temporary_failure(api, dns, shared):
    domain = claim(api, shared, unique_domain("down"))
    dns.stop()
    started = time.monotonic()
    assert_error(verify(api, shared, domain["id"]), 422, "dns_temporary_failure")
    assert time.monotonic() - started < TEMPORARY_FAILURE_BUDGET
