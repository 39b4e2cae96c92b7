"""Webhooks management over the real binary: create, list, get, partial
update and delete, with every field's validation and its documented error
code, address ownership (public domains, the account's own verified domains,
one address across all accounts), secrets, custom headers, payload templates,
rate limits, security-policy references (and their detaching when a policy
is deleted), per-account isolation and authentication. No delivery, logs or
simulation here.

The contract is docs/openapi.json, docs/API.md ("Webhooks (management)")
and docs/DELIVERY.md. One Conduit per module with one public domain;
its [dns] nameservers point at one loopback port where the tests that need a
verified domain of their own start dns-serve.py with the zone they need.
Every test uses fresh local parts and domain names."""

import base64
import os
import uuid

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
    verification_value,
)
from identity_helpers import (
    ID_RE,
    assert_error,
    assert_timestamp,
    parse_timestamp,
)

WEBHOOKS = "/webhooks"
POLICIES = "/smtp-policies"
WEBHOOK_FIELDS = {
    "id", "address", "target_url", "secret", "custom_headers", "payload_template",
    "rate_limit", "active", "smtp_security_policy_id", "payload_format", "max_payload_bytes",
    "previous_secret_expires_at", "created_at", "updated_at",
}

PUBLIC = "hooks.conduit.test"
TARGET = "https://receiver.example/hook"

# A well-formed identifier that nothing will ever have.
UNKNOWN_ID = "7zzzzzzzzzzzzzzzzzzzzzzzzz"


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dns_port():
    return free_port()


@pytest.fixture(scope="module")
def api(dns_port):
    handle, cleanup = start_conduit(
        "webhooks",
        extra=dns_config(dns_port),
        smtp_settings=f"public_domains = {toml_string_array([PUBLIC])}",
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
    start = len(dns_server.log())
    yield dns_server
    print("--- dns-serve.py log ---\n" + dns_server.log()[start:][-6000:])


@pytest.fixture(scope="module")
def shared_pool(api):
    return [api.new_account()]


@pytest.fixture
def shared(api, shared_pool):
    """An account for tests that do not look at its whole webhook list:
    reused from test to test, and replaced before its policies (which many
    tests create) near the limit of 100."""
    status, _, policies = api.get(POLICIES, token=shared_pool[-1].access)
    assert status == 200, (status, policies)
    if len(policies) > 80:
        shared_pool.append(api.new_account())
    return shared_pool[-1]


@pytest.fixture
def account(api):
    return api.new_account()


@pytest.fixture
def other(api):
    return api.new_account()


# --- helpers --------------------------------------------------------------------------


def unique_address(prefix="hook", domain=PUBLIC):
    return f"{prefix}-{uuid.uuid4().hex[:12]}@{domain}"


def make_secret(length):
    return "whsec_" + base64.b64encode(os.urandom(length)).decode("ascii")


def secret_bytes(secret):
    assert isinstance(secret, str) and secret.startswith("whsec_"), secret
    return base64.b64decode(secret[len("whsec_"):], validate=True)


def create(api, account, body):
    return api.post(WEBHOOKS, body, token=account.access)


def make(api, account, **fields):
    body = {"address": unique_address(), "target_url": TARGET}
    body.update(fields)
    status, headers, webhook = create(api, account, body)
    assert status == 201, (body, status, webhook)
    assert headers["Content-Type"].startswith("application/json"), headers["Content-Type"]
    assert_webhook(webhook)
    return webhook


def get(api, account, webhook_id):
    return api.get(f"{WEBHOOKS}/{webhook_id}", token=account.access)


def update(api, account, webhook_id, body):
    return api.put(f"{WEBHOOKS}/{webhook_id}", body, token=account.access)


def delete(api, account, webhook_id):
    return api.delete(f"{WEBHOOKS}/{webhook_id}", token=account.access)


def fetched(api, account, webhook_id):
    status, _, webhook = get(api, account, webhook_id)
    assert status == 200, (status, webhook)
    assert_webhook(webhook)
    return webhook


def listed(api, account):
    status, headers, webhooks = api.get(WEBHOOKS, token=account.access)
    assert status == 200, (status, webhooks)
    assert headers["Content-Type"].startswith("application/json"), headers["Content-Type"]
    assert isinstance(webhooks, list), webhooks
    for webhook in webhooks:
        assert_webhook(webhook)
    return webhooks


def make_policy(api, account, name=None):
    status, _, policy = api.post(POLICIES, {"name": name or f"policy-{uuid.uuid4().hex[:8]}"}, token=account.access)
    assert status == 201, (status, policy)
    return policy


def assert_webhook(webhook):
    """Shape and types of a WebhookResponse."""
    assert isinstance(webhook, dict), webhook
    assert set(webhook) == WEBHOOK_FIELDS, webhook
    assert isinstance(webhook["id"], str) and ID_RE.match(webhook["id"]), webhook["id"]
    assert isinstance(webhook["address"], str) and "@" in webhook["address"], webhook
    assert webhook["address"] == webhook["address"].lower(), webhook
    assert isinstance(webhook["target_url"], str) and webhook["target_url"], webhook
    length = len(secret_bytes(webhook["secret"]))
    assert 24 <= length <= 64, webhook["secret"]
    assert isinstance(webhook["custom_headers"], dict), webhook
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in webhook["custom_headers"].items()), webhook
    assert webhook["payload_template"] is None or (isinstance(webhook["payload_template"], str) and webhook["payload_template"]), webhook
    assert isinstance(webhook["rate_limit"], int) and not isinstance(webhook["rate_limit"], bool), webhook
    assert 0 <= webhook["rate_limit"] <= 100000, webhook
    assert isinstance(webhook["active"], bool), webhook
    policy_id = webhook["smtp_security_policy_id"]
    assert policy_id is None or (isinstance(policy_id, str) and ID_RE.match(policy_id)), webhook
    created = assert_timestamp(webhook["created_at"])
    updated = assert_timestamp(webhook["updated_at"])
    assert updated >= created, webhook
    return webhook


def assert_unchanged(api, account, webhook):
    assert fetched(api, account, webhook["id"]) == webhook


# A domain this account verified: claim, serve the TXT record, verify.


def claim(api, account, name):
    status, _, domain = api.post("/domains", {"name": name}, token=account.access)
    assert status == 201, (name, status, domain)
    return domain


def verify_all(api, dns, account, domains):
    dns.serve({
        txt_name(d["name"]): [{"TXT": verification_value(d["verification_token"])}] for d in domains
    })
    verified = []
    for domain in domains:
        status, _, body = api.post(f"/domains/{domain['id']}/verify", token=account.access)
        assert status == 200 and body["verified"] is True, (status, body, dns.log()[-2000:])
        verified.append(body)
    return verified


# --- create ---------------------------------------------------------------------------


def test_create_with_defaults(api, account):
    address = unique_address()
    status, headers, webhook = create(api, account, {"address": address, "target_url": TARGET})
    assert status == 201, (status, webhook)
    assert headers["Content-Type"].startswith("application/json")
    assert_webhook(webhook)
    assert webhook["address"] == address
    assert webhook["target_url"] == TARGET
    # A secret is generated: whsec_ + base64 of 32 random bytes.
    assert webhook["secret"].startswith("whsec_")
    assert len(secret_bytes(webhook["secret"])) == 32
    assert webhook["custom_headers"] == {}
    assert webhook["payload_template"] is None
    assert webhook["rate_limit"] == 0
    assert webhook["active"] is True
    assert webhook["smtp_security_policy_id"] is None
    # GET and the list show the same record, secret included.
    assert fetched(api, account, webhook["id"]) == webhook
    assert listed(api, account) == [webhook]


def test_create_with_every_field(api, account):
    policy = make_policy(api, account)
    secret = make_secret(32)
    headers_ = {"X-Api-Key": "k-123", "Authorization": "Bearer abc.def", "X-Empty-Ok": "a b  c"}
    template = '{"subject": "{{subject}}", "from": "{{from.address}}"{{#tag}}, "tag": "{{tag}}"{{/tag}}}'
    body = {
        "address": unique_address("full"),
        "target_url": "http://receiver.example:8080/in/bound?x=1&y=2",
        "secret": secret,
        "custom_headers": headers_,
        "payload_template": template,
        "rate_limit": 60,
        "active": False,
        "smtp_security_policy_id": policy["id"],
    }
    status, _, webhook = create(api, account, body)
    assert status == 201, (status, webhook)
    assert_webhook(webhook)
    assert webhook["address"] == body["address"]
    assert webhook["target_url"] == body["target_url"]
    assert webhook["secret"] == secret
    assert webhook["custom_headers"] == headers_
    assert webhook["payload_template"] == template
    assert webhook["rate_limit"] == 60
    assert webhook["active"] is False
    assert webhook["smtp_security_policy_id"] == policy["id"]
    assert fetched(api, account, webhook["id"]) == webhook


def test_generated_secrets_are_random(api, shared):
    secrets = {make(api, shared)["secret"] for _ in range(5)}
    assert len(secrets) == 5
    for secret in secrets:
        assert len(secret_bytes(secret)) == 32


@pytest.mark.parametrize("length", [24, 25, 32, 48, 63, 64])
def test_given_secret_of_24_to_64_bytes_is_kept(api, shared, length):
    secret = make_secret(length)
    webhook = make(api, shared, secret=secret)
    assert webhook["secret"] == secret
    assert len(secret_bytes(webhook["secret"])) == length


def test_address_is_lower_cased(api, shared):
    local = f"Info.Team-{uuid.uuid4().hex[:8].upper()}"
    webhook = make(api, shared, address=f"{local}@HOOKS.Conduit.TEST")
    assert webhook["address"] == f"{local.lower()}@{PUBLIC}"
    assert fetched(api, shared, webhook["id"])["address"] == webhook["address"]


def test_same_address_twice_is_taken(api, account, other):
    address = unique_address("taken")
    first = make(api, account, address=address)
    assert_error(create(api, account, {"address": address, "target_url": TARGET}), 409, "address_taken")
    # Across accounts too, and whatever the case.
    assert_error(create(api, other, {"address": address, "target_url": TARGET}), 409, "address_taken")
    assert_error(create(api, other, {"address": address.upper(), "target_url": TARGET}), 409, "address_taken")
    assert listed(api, account) == [first]
    assert listed(api, other) == []


@pytest.mark.parametrize("rate_limit", [0, 1, 100000])
def test_rate_limit_bounds_are_accepted(api, shared, rate_limit):
    assert make(api, shared, rate_limit=rate_limit)["rate_limit"] == rate_limit


@pytest.mark.parametrize(
    "target_url",
    [
        "http://receiver.example/hook",
        "https://receiver.example",
        "https://receiver.example:8443/a/b?c=d#e",
        "http://192.0.2.10:9000/hook",
        "http://[2001:db8::1]:8080/hook",
        "http://127.0.0.1:9/hook",  # private targets are refused at connect time, not here
        "https://receiver.example/" + "a" * (2048 - len("https://receiver.example/")),
    ],
    ids=["http", "no-path", "port-query-fragment", "ipv4", "ipv6", "loopback", "2048-bytes"],
)
def test_valid_target_urls_are_accepted(api, shared, target_url):
    assert make(api, shared, target_url=target_url)["target_url"] == target_url


def test_twenty_headers_and_1024_byte_values_are_accepted(api, shared):
    headers_ = {f"X-Header-{i}": f"value-{i}" for i in range(19)}
    headers_["X-Long"] = "v" * 1024
    webhook = make(api, shared, custom_headers=headers_)
    assert webhook["custom_headers"] == headers_


@pytest.mark.parametrize(
    "template",
    [
        "plain text, no tags",
        "{{subject}}",
        "{{#attachments}}{{filename}} {{/attachments}}",
        "{{^html}}no html{{/html}}",
        '{"text": "{{text}}", "from": "{{from.name}} <{{from.address}}>"}',
    ],
)
def test_valid_payload_templates_are_kept(api, shared, template):
    assert make(api, shared, payload_template=template)["payload_template"] == template


def test_empty_payload_template_is_null(api, shared):
    assert make(api, shared, payload_template="")["payload_template"] is None


def test_unknown_fields_are_ignored(api, shared):
    webhook = make(api, shared, colour="blue", id=UNKNOWN_ID, created_at="2000-01-01T00:00:00Z")
    assert webhook["id"] != UNKNOWN_ID
    assert webhook["created_at"] != "2000-01-01T00:00:00Z"


# --- validation -----------------------------------------------------------------------

LONG_URL = "https://receiver.example/" + "a" * (2049 - len("https://receiver.example/"))

INVALID_FIELDS = [
    # address
    ("address", "", "invalid_address"),
    ("address", "no-at-sign", "invalid_address"),
    ("address", f"@{PUBLIC}", "invalid_address"),
    ("address", "local@", "invalid_address"),
    ("address", f"a@b@{PUBLIC}", "invalid_address"),
    ("address", f"a b@{PUBLIC}", "invalid_address"),
    ("address", f".lead@{PUBLIC}", "invalid_address"),
    ("address", f"trail.@{PUBLIC}", "invalid_address"),
    ("address", f"a..b@{PUBLIC}", "invalid_address"),
    ("address", f"<x@{PUBLIC}>", "invalid_address"),
    ("address", f"x@{PUBLIC}\r\nRCPT TO:<y@{PUBLIC}>", "invalid_address"),
    ("address", "x@bad_name.example", "invalid_address"),
    # target_url
    ("target_url", "ftp://receiver.example/hook", "invalid_target_url"),
    ("target_url", "/relative/hook", "invalid_target_url"),
    ("target_url", "receiver.example/hook", "invalid_target_url"),
    ("target_url", "https://user:pass@receiver.example/hook", "invalid_target_url"),
    ("target_url", "https://user@receiver.example/hook", "invalid_target_url"),
    ("target_url", "", "invalid_target_url"),
    ("target_url", "https://", "invalid_target_url"),
    ("target_url", "http:///hook", "invalid_target_url"),
    ("target_url", "mailto:hook@receiver.example", "invalid_target_url"),
    ("target_url", "javascript:alert(1)", "invalid_target_url"),
    ("target_url", LONG_URL, "invalid_target_url"),
    # secret
    ("secret", base64.b64encode(b"k" * 32).decode(), "invalid_secret"),
    ("secret", "whsec_", "invalid_secret"),
    ("secret", "whsec_!!!not base64!!!", "invalid_secret"),
    ("secret", "whsec_" + base64.b64encode(b"k" * 32).decode()[:-3], "invalid_secret"),
    ("secret", "whsec_" + base64.b64encode(b"k" * 16).decode(), "invalid_secret"),
    ("secret", "whsec_" + base64.b64encode(b"k" * 23).decode(), "invalid_secret"),
    ("secret", "whsec_" + base64.b64encode(b"k" * 65).decode(), "invalid_secret"),
    ("secret", "sk_" + base64.b64encode(b"k" * 32).decode(), "invalid_secret"),
    # custom_headers
    ("custom_headers", {"Content-Type": "text/plain"}, "invalid_custom_headers"),
    ("custom_headers", {"content-type": "text/plain"}, "invalid_custom_headers"),
    ("custom_headers", {"host": "evil.example"}, "invalid_custom_headers"),
    ("custom_headers", {"Content-Length": "5"}, "invalid_custom_headers"),
    ("custom_headers", {"User-Agent": "spoof"}, "invalid_custom_headers"),
    ("custom_headers", {"Transfer-Encoding": "chunked"}, "invalid_custom_headers"),
    ("custom_headers", {"Connection": "close"}, "invalid_custom_headers"),
    ("custom_headers", {"webhook-id": "msg_1"}, "invalid_custom_headers"),
    ("custom_headers", {"Webhook-Signature": "v1,abc"}, "invalid_custom_headers"),
    ("custom_headers", {"WEBHOOK-TIMESTAMP": "1"}, "invalid_custom_headers"),
    ("custom_headers", {"Conduit-Mail-From": "a@b.example"}, "invalid_custom_headers"),
    ("custom_headers", {"X-Ok": "a\r\nInjected: 1"}, "invalid_custom_headers"),
    ("custom_headers", {"X-Ok": "a\nb"}, "invalid_custom_headers"),
    ("custom_headers", {"X-Ok": "a\rb"}, "invalid_custom_headers"),
    ("custom_headers", {"Bad Header": "x"}, "invalid_custom_headers"),
    ("custom_headers", {"Bad:Header": "x"}, "invalid_custom_headers"),
    ("custom_headers", {"": "x"}, "invalid_custom_headers"),
    ("custom_headers", {"X-Ok": "v" * 1025}, "invalid_custom_headers"),
    ("custom_headers", {f"X-Header-{i}": "v" for i in range(21)}, "invalid_custom_headers"),
    # payload_template
    ("payload_template", "{{#open}}", "invalid_payload_template"),
    ("payload_template", "text {{/close}}", "invalid_payload_template"),
    ("payload_template", "{{#a}}x{{/b}}", "invalid_payload_template"),
    # rate_limit
    ("rate_limit", -1, "invalid_rate_limit"),
    ("rate_limit", 100001, "invalid_rate_limit"),
]

INVALID_IDS = [f"{field}-{index}" for index, (field, _, _) in enumerate(INVALID_FIELDS)]


@pytest.mark.parametrize("field, value, code", INVALID_FIELDS, ids=INVALID_IDS)
def test_invalid_field_is_refused_at_create(api, shared, field, value, code):
    body = {"address": unique_address(), "target_url": TARGET, field: value}
    assert_error(create(api, shared, body), 422, code)


def test_refused_create_stores_nothing(api, account):
    for field, value, code in INVALID_FIELDS:
        body = {"address": unique_address(), "target_url": TARGET, field: value}
        assert_error(create(api, account, body), 422, code)
    assert listed(api, account) == []


def test_refused_create_does_not_take_the_address(api, account, other):
    address = unique_address()
    assert_error(create(api, account, {"address": address, "target_url": "ftp://x.example/"}), 422, "invalid_target_url")
    make(api, other, address=address)


def test_another_accounts_policy_is_an_invalid_security_policy(api, account, other):
    theirs = make_policy(api, other)
    body = {"address": unique_address(), "target_url": TARGET, "smtp_security_policy_id": theirs["id"]}
    assert_error(create(api, account, body), 422, "invalid_security_policy")
    assert listed(api, account) == []


@pytest.mark.parametrize("policy_id", ["garbage", UNKNOWN_ID, "x" * 26])
def test_unknown_policy_id_is_an_invalid_security_policy(api, shared, policy_id):
    body = {"address": unique_address(), "target_url": TARGET, "smtp_security_policy_id": policy_id}
    assert_error(create(api, shared, body), 422, "invalid_security_policy")


def test_deleted_policy_id_is_an_invalid_security_policy(api, account):
    policy = make_policy(api, account)
    status, _, _ = api.delete(f"{POLICIES}/{policy['id']}", token=account.access)
    assert status == 204
    body = {"address": unique_address(), "target_url": TARGET, "smtp_security_policy_id": policy["id"]}
    assert_error(create(api, account, body), 422, "invalid_security_policy")


def test_unverified_domains_are_refused(api, account):
    # Never claimed by anyone.
    body = {"address": unique_address(domain=unique_domain("nobody")), "target_url": TARGET}
    assert_error(create(api, account, body), 422, "domain_not_verified")
    # Claimed by this account, but not verified.
    claimed = claim(api, account, unique_domain("claimed"))
    body = {"address": f"info@{claimed['name']}", "target_url": TARGET}
    assert_error(create(api, account, body), 422, "domain_not_verified")
    body = {"address": f"*@{claimed['name']}", "target_url": TARGET}
    assert_error(create(api, account, body), 422, "domain_not_verified")
    # A subdomain of a public domain is not that public domain.
    body = {"address": unique_address(domain=f"sub.{PUBLIC}"), "target_url": TARGET}
    assert_error(create(api, account, body), 422, "domain_not_verified")
    assert listed(api, account) == []


MALFORMED = [
    (b"not json", None),
    (b"[]", None),
    (b"{", None),
    (None, {}),
    (None, {"address": "ADDRESS"}),
    (None, {"target_url": TARGET}),
    (None, {"address": None, "target_url": TARGET}),
    (None, {"address": 5, "target_url": TARGET}),
    (None, {"address": "ADDRESS", "target_url": None}),
    (None, {"address": "ADDRESS", "target_url": ["https://receiver.example/"]}),
    (None, {"address": "ADDRESS", "target_url": TARGET, "secret": 5}),
    (None, {"address": "ADDRESS", "target_url": TARGET, "custom_headers": "X-A: b"}),
    (None, {"address": "ADDRESS", "target_url": TARGET, "custom_headers": ["X-A", "b"]}),
    (None, {"address": "ADDRESS", "target_url": TARGET, "custom_headers": {"X-A": 5}}),
    (None, {"address": "ADDRESS", "target_url": TARGET, "payload_template": 5}),
    (None, {"address": "ADDRESS", "target_url": TARGET, "rate_limit": "10"}),
    (None, {"address": "ADDRESS", "target_url": TARGET, "active": "yes"}),
    (None, {"address": "ADDRESS", "target_url": TARGET, "smtp_security_policy_id": 5}),
]
MALFORMED_IDS = [
    "not-json", "array", "truncated", "empty", "missing-target", "missing-address",
    "null-address", "number-address", "null-target", "array-target", "number-secret",
    "string-headers", "array-headers", "number-header-value", "number-template",
    "string-rate-limit", "string-active", "number-policy",
]


def _with_address(body, address):
    return {k: (address if v == "ADDRESS" else v) for k, v in body.items()}


@pytest.mark.parametrize("raw, body", MALFORMED, ids=MALFORMED_IDS)
def test_malformed_create_is_invalid_request(api, account, raw, body):
    if raw is not None:
        response = api.post(WEBHOOKS, raw=raw, token=account.access)
    else:
        response = create(api, account, _with_address(body, unique_address()))
    assert_error(response, 422, "invalid_request")
    assert listed(api, account) == []


# --- the account's own verified domains -------------------------------------------------


def test_webhooks_on_an_own_verified_domain(api, dns, account, other):
    name = unique_domain("own")
    idn = f"bücher-{uuid.uuid4().hex[:8]}.example"
    ascii_domain, idn_domain = verify_all(api, dns, account, [claim(api, account, name), claim(api, account, idn)])
    assert ascii_domain["name"] == name
    assert idn_domain["name"].startswith("xn--"), idn_domain

    exact = make(api, account, address=f"info@{name}")
    assert exact["address"] == f"info@{name}"
    catch_all = make(api, account, address=f"*@{name}")
    assert catch_all["address"] == f"*@{name}"
    upper = make(api, account, address=f"Sales@{name.upper()}")
    assert upper["address"] == f"sales@{name}"
    # The domain part is normalized like domain names: Unicode → A-label.
    unicode_address = make(api, account, address=f"Info@{idn}")
    assert unicode_address["address"] == f"info@{idn_domain['name']}"
    idn_catch_all = make(api, account, address=f"*@{idn_domain['name']}")
    assert idn_catch_all["address"] == f"*@{idn_domain['name']}"

    # The catch-all exists once, too.
    assert_error(create(api, account, {"address": f"*@{name}", "target_url": TARGET}), 409, "address_taken")
    assert_error(create(api, account, {"address": f"*@{name.upper()}", "target_url": TARGET}), 409, "address_taken")

    # Another account cannot use a domain this account verified.
    for address in (f"else@{name}", f"*@{idn_domain['name']}", f"x@{idn}"):
        assert_error(create(api, other, {"address": address, "target_url": TARGET}), 422, "domain_not_verified")
    theirs = make(api, other)
    assert_error(update(api, other, theirs["id"], {"address": f"moved@{name}"}), 422, "domain_not_verified")
    assert_unchanged(api, other, theirs)

    listed_ids = [w["id"] for w in listed(api, account)]
    assert listed_ids == [w["id"] for w in (idn_catch_all, unicode_address, upper, catch_all, exact)]


def test_update_address_onto_an_own_verified_domain(api, dns, account):
    [domain] = verify_all(api, dns, account, [claim(api, account, unique_domain("move"))])
    webhook = make(api, account)
    status, _, updated = update(api, account, webhook["id"], {"address": f"*@{domain['name']}"})
    assert status == 200, (status, updated)
    assert updated["address"] == f"*@{domain['name']}"


# --- list -----------------------------------------------------------------------------


def test_fresh_account_has_no_webhooks(api, account):
    assert listed(api, account) == []


def test_list_is_newest_first(api, account):
    created = [make(api, account) for _ in range(5)]
    assert listed(api, account) == list(reversed(created))


def test_lists_are_isolated_per_account(api, account, other):
    mine = [make(api, account) for _ in range(2)]
    theirs = [make(api, other) for _ in range(3)]
    assert listed(api, account) == list(reversed(mine))
    assert listed(api, other) == list(reversed(theirs))


# --- get ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "webhook_id",
    [UNKNOWN_ID, "garbage", "00000000000000000000000000", "x" * 26, "%20"],
)
def test_get_unknown_or_garbage_id_is_not_found(api, shared, webhook_id):
    assert_error(get(api, shared, webhook_id), 404, "not_found")


def test_a_policy_id_is_not_a_webhook_id(api, shared):
    policy = make_policy(api, shared)
    assert_error(get(api, shared, policy["id"]), 404, "not_found")


def test_another_accounts_webhook_is_not_found(api, account, other):
    policy = make_policy(api, other)
    theirs = make(api, other, smtp_security_policy_id=policy["id"], custom_headers={"X-A": "b"})
    assert_error(get(api, account, theirs["id"]), 404, "not_found")
    assert_error(update(api, account, theirs["id"], {"target_url": "https://attacker.example/"}), 404, "not_found")
    assert_error(update(api, account, theirs["id"], {"clear_security_policy": True}), 404, "not_found")
    assert_error(delete(api, account, theirs["id"]), 404, "not_found")
    assert listed(api, account) == []
    assert_unchanged(api, other, theirs)


# --- update ---------------------------------------------------------------------------


def full_webhook(api, account):
    policy = make_policy(api, account)
    return make(
        api, account,
        address=unique_address("full"),
        secret=make_secret(40),
        custom_headers={"X-Api-Key": "k-1", "X-Other": "o"},
        payload_template="{{subject}}",
        rate_limit=30,
        active=True,
        smtp_security_policy_id=policy["id"],
    )


def test_update_only_target_url_keeps_everything_else(api, account):
    webhook = full_webhook(api, account)
    new_url = "https://other-receiver.example/new"
    status, headers, updated = update(api, account, webhook["id"], {"target_url": new_url})
    assert status == 200, (status, updated)
    assert headers["Content-Type"].startswith("application/json")
    assert_webhook(updated)
    assert updated["target_url"] == new_url
    for field in WEBHOOK_FIELDS - {"target_url", "updated_at"}:
        assert updated[field] == webhook[field], (field, webhook, updated)
    assert parse_timestamp(updated["updated_at"]) >= parse_timestamp(webhook["updated_at"])
    assert fetched(api, account, webhook["id"]) == updated


def test_empty_update_changes_nothing(api, shared):
    webhook = full_webhook(api, shared)
    status, _, updated = update(api, shared, webhook["id"], {})
    assert status == 200, (status, updated)
    for field in WEBHOOK_FIELDS - {"updated_at"}:
        assert updated[field] == webhook[field], (field, webhook, updated)


NEW_SECRET = make_secret(48)


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("secret", NEW_SECRET, NEW_SECRET),
        ("custom_headers", {"X-New": "n"}, {"X-New": "n"}),
        ("custom_headers", {}, {}),
        ("payload_template", "{{#to}}{{address}}{{/to}}", "{{#to}}{{address}}{{/to}}"),
        ("payload_template", "", None),
        ("rate_limit", 0, 0),
        ("rate_limit", 100000, 100000),
        ("active", False, False),
        ("clear_security_policy", False, "KEEP"),
    ],
    ids=[
        "secret", "headers", "headers-cleared", "template", "template-cleared",
        "rate-limit-0", "rate-limit-max", "inactive", "clear-false",
    ],
)
def test_update_one_field(api, shared, field, value, expected):
    webhook = full_webhook(api, shared)
    status, _, updated = update(api, shared, webhook["id"], {field: value})
    assert status == 200, (status, updated)
    assert_webhook(updated)
    changed = set() if expected == "KEEP" else {field}
    if changed:
        assert updated[field] == expected, (field, updated)
    for kept in WEBHOOK_FIELDS - changed - {"updated_at"}:
        assert updated[kept] == webhook[kept], (kept, webhook, updated)
    assert fetched(api, shared, webhook["id"]) == updated


def test_update_reactivates(api, shared):
    webhook = make(api, shared, active=False)
    status, _, updated = update(api, shared, webhook["id"], {"active": True})
    assert status == 200 and updated["active"] is True, (status, updated)


def test_update_sets_and_changes_the_policy(api, shared):
    webhook = make(api, shared)
    first, second = make_policy(api, shared), make_policy(api, shared)
    status, _, updated = update(api, shared, webhook["id"], {"smtp_security_policy_id": first["id"]})
    assert status == 200 and updated["smtp_security_policy_id"] == first["id"], (status, updated)
    status, _, updated = update(api, shared, webhook["id"], {"smtp_security_policy_id": second["id"]})
    assert status == 200 and updated["smtp_security_policy_id"] == second["id"], (status, updated)
    assert fetched(api, shared, webhook["id"])["smtp_security_policy_id"] == second["id"]


def test_clear_security_policy_detaches(api, shared):
    webhook = full_webhook(api, shared)
    assert webhook["smtp_security_policy_id"] is not None
    status, _, updated = update(api, shared, webhook["id"], {"clear_security_policy": True})
    assert status == 200, (status, updated)
    assert updated["smtp_security_policy_id"] is None
    for field in WEBHOOK_FIELDS - {"smtp_security_policy_id", "updated_at"}:
        assert updated[field] == webhook[field], (field, webhook, updated)
    assert fetched(api, shared, webhook["id"]) == updated
    # The policy itself is still there.
    status, _, policy = api.get(f"{POLICIES}/{webhook['smtp_security_policy_id']}", token=shared.access)
    assert status == 200, (status, policy)


def test_update_address(api, account, other):
    webhook = full_webhook(api, account)
    old_address = webhook["address"]
    new_local = f"Moved-{uuid.uuid4().hex[:8]}"
    status, _, updated = update(api, account, webhook["id"], {"address": f"{new_local}@{PUBLIC.upper()}"})
    assert status == 200, (status, updated)
    assert updated["address"] == f"{new_local.lower()}@{PUBLIC}"
    for field in WEBHOOK_FIELDS - {"address", "updated_at"}:
        assert updated[field] == webhook[field], (field, webhook, updated)
    # The old address is free again, the new one is taken.
    make(api, other, address=old_address)
    assert_error(create(api, other, {"address": updated["address"], "target_url": TARGET}), 409, "address_taken")


def test_update_address_to_its_own_address_is_fine(api, shared):
    webhook = make(api, shared)
    status, _, updated = update(api, shared, webhook["id"], {"address": webhook["address"].upper()})
    assert status == 200, (status, updated)
    assert updated["address"] == webhook["address"]


def test_update_address_to_a_taken_one_conflicts(api, account, other):
    webhook = make(api, account)
    mine = make(api, account)
    theirs = make(api, other)
    assert_error(update(api, account, webhook["id"], {"address": mine["address"]}), 409, "address_taken")
    assert_error(update(api, account, webhook["id"], {"address": theirs["address"].upper()}), 409, "address_taken")
    assert_unchanged(api, account, webhook)
    assert_unchanged(api, account, mine)
    assert_unchanged(api, other, theirs)


@pytest.mark.parametrize("field, value, code", INVALID_FIELDS, ids=INVALID_IDS)
def test_invalid_field_is_refused_at_update(api, shared, field, value, code):
    webhook = full_webhook(api, shared)
    assert_error(update(api, shared, webhook["id"], {field: value}), 422, code)
    assert_unchanged(api, shared, webhook)


def test_refused_update_changes_nothing(api, shared):
    webhook = full_webhook(api, shared)
    body = {"target_url": "https://valid.example/", "rate_limit": 5, "secret": "whsec_short"}
    assert_error(update(api, shared, webhook["id"], body), 422, "invalid_secret")
    assert_unchanged(api, shared, webhook)


def test_update_to_an_unverified_domain_is_refused(api, shared):
    webhook = make(api, shared)
    body = {"address": unique_address(domain=unique_domain("nobody"))}
    assert_error(update(api, shared, webhook["id"], body), 422, "domain_not_verified")
    assert_unchanged(api, shared, webhook)


def test_update_with_another_accounts_policy_is_refused(api, account, other):
    webhook = full_webhook(api, account)
    theirs = make_policy(api, other)
    for policy_id in (theirs["id"], "garbage", UNKNOWN_ID):
        assert_error(update(api, account, webhook["id"], {"smtp_security_policy_id": policy_id}), 422, "invalid_security_policy")
    assert_unchanged(api, account, webhook)


@pytest.mark.parametrize(
    "raw, body",
    [
        (b"not json", None),
        (b"[]", None),
        (None, {"target_url": None}),
        (None, {"address": 5}),
        (None, {"custom_headers": "X-A: b"}),
        (None, {"custom_headers": {"X-A": 5}}),
        (None, {"rate_limit": "10"}),
        (None, {"active": "no"}),
        (None, {"clear_security_policy": "yes"}),
        (None, {"smtp_security_policy_id": 5}),
    ],
    ids=[
        "not-json", "array", "null-target", "number-address", "string-headers",
        "number-header-value", "string-rate-limit", "string-active", "string-clear", "number-policy",
    ],
)
def test_malformed_update_is_invalid_request(api, shared, raw, body):
    webhook = full_webhook(api, shared)
    path = f"{WEBHOOKS}/{webhook['id']}"
    if raw is not None:
        response = api.put(path, raw=raw, token=shared.access)
    else:
        response = api.put(path, body, token=shared.access)
    assert_error(response, 422, "invalid_request")
    assert_unchanged(api, shared, webhook)


@pytest.mark.parametrize("webhook_id", [UNKNOWN_ID, "garbage"])
def test_update_unknown_id_is_not_found(api, shared, webhook_id):
    assert_error(update(api, shared, webhook_id, {"target_url": TARGET}), 404, "not_found")


# --- deleting a policy detaches it ----------------------------------------------------------


def test_deleting_a_policy_detaches_it_from_its_webhooks(api, account):
    policy = make_policy(api, account)
    keep = make_policy(api, account)
    first = make(api, account, smtp_security_policy_id=policy["id"], rate_limit=7, custom_headers={"X-A": "1"})
    second = make(api, account, smtp_security_policy_id=policy["id"], active=False)
    untouched = make(api, account, smtp_security_policy_id=keep["id"])
    status, _, _ = api.delete(f"{POLICIES}/{policy['id']}", token=account.access)
    assert status == 204
    for webhook in (first, second):
        now = fetched(api, account, webhook["id"])
        assert now["smtp_security_policy_id"] is None, now
        for field in WEBHOOK_FIELDS - {"smtp_security_policy_id", "updated_at"}:
            assert now[field] == webhook[field], (field, webhook, now)
    assert fetched(api, account, untouched["id"])["smtp_security_policy_id"] == keep["id"]
    listed_policies = {w["id"]: w["smtp_security_policy_id"] for w in listed(api, account)}
    assert listed_policies == {first["id"]: None, second["id"]: None, untouched["id"]: keep["id"]}


# --- delete ---------------------------------------------------------------------------


def test_delete_webhook(api, account, other):
    keep = make(api, account)
    webhook = full_webhook(api, account)
    status, _, body = delete(api, account, webhook["id"])
    assert status == 204, (status, body)
    assert body is None
    assert_error(get(api, account, webhook["id"]), 404, "not_found")
    assert_error(update(api, account, webhook["id"], {"target_url": TARGET}), 404, "not_found")
    assert_error(delete(api, account, webhook["id"]), 404, "not_found")
    assert listed(api, account) == [keep]
    # Its address is free again, for anyone.
    make(api, other, address=webhook["address"])
    # Its policy is not deleted with it.
    status, _, _ = api.get(f"{POLICIES}/{webhook['smtp_security_policy_id']}", token=account.access)
    assert status == 200


@pytest.mark.parametrize("webhook_id", [UNKNOWN_ID, "garbage"])
def test_delete_unknown_or_garbage_id_is_not_found(api, shared, webhook_id):
    assert_error(delete(api, shared, webhook_id), 404, "not_found")


def test_deleting_the_account_removes_its_webhooks(api, account, other):
    first = make(api, account)
    second = make(api, account, smtp_security_policy_id=make_policy(api, account)["id"])
    status, _, body = api.delete("/accounts/me", {"confirm": True, "password": account.password}, token=account.access)
    assert status == 204, (status, body)
    for webhook in (first, second):
        assert_error(get(api, other, webhook["id"]), 404, "not_found")
    # The addresses are free for another account.
    for webhook in (first, second):
        taken_over = make(api, other, address=webhook["address"])
        assert taken_over["id"] != webhook["id"]


# --- auth -----------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "cda_" + "A" * 43, "garbage"], ids=["none", "unknown", "garbage"])
def test_every_webhook_operation_needs_a_token(api, shared, token):
    webhook = make(api, shared)
    path = f"{WEBHOOKS}/{webhook['id']}"
    calls = [
        ("GET", WEBHOOKS, None),
        ("POST", WEBHOOKS, {"address": unique_address(), "target_url": TARGET}),
        ("GET", path, None),
        ("PUT", path, {"target_url": "https://changed.example/"}),
        ("DELETE", path, None),
    ]
    for method, call_path, body in calls:
        if body is None:
            response = api.call(method, call_path, token=token)
        else:
            response = api.call(method, call_path, body, token=token)
        assert_error(response, 401, "unauthorized")
    assert_unchanged(api, shared, webhook)


def test_api_token_can_manage_webhooks(api, account):
    status, _, api_token = api.post("/accounts/me/api-tokens", {"name": "hooks"}, token=account.access)
    assert status == 201, (status, api_token)
    token = api_token["token"]
    status, _, webhook = api.post(WEBHOOKS, {"address": unique_address(), "target_url": TARGET}, token=token)
    assert status == 201, (status, webhook)
    status, _, webhooks = api.get(WEBHOOKS, token=token)
    assert status == 200 and webhooks == [webhook], (status, webhooks)
    assert fetched(api, account, webhook["id"]) == webhook


def test_payload_format_and_max_payload_bytes_are_validated_and_kept_by_partial_update(api, account):
    webhook = make(api, account)
    assert webhook["payload_format"] == "json"
    assert webhook["max_payload_bytes"] is None
    assert webhook["previous_secret_expires_at"] is None
    for body, code in [
        ({"payload_format": "xml"}, "invalid_payload_format"),
        ({"payload_format": None}, None),
        ({"max_payload_bytes": 65535}, "invalid_max_payload_bytes"),
        ({"max_payload_bytes": 1073741825}, "invalid_max_payload_bytes"),
        ({"max_payload_bytes": "big"}, None),
    ]:
        status, _, answer = update(api, account, webhook["id"], body)
        assert status == 422, (body, status, answer)
        if code:
            assert answer["code"] == code, answer
    status, _, answer = update(api, account, webhook["id"], {"payload_format": "json_raw", "max_payload_bytes": 65536})
    assert status == 200, answer
    assert answer["payload_format"] == "json_raw" and answer["max_payload_bytes"] == 65536
    status, _, answer = update(api, account, webhook["id"], {"rate_limit": 5})
    assert answer["payload_format"] == "json_raw" and answer["max_payload_bytes"] == 65536, answer
    status, _, answer = update(api, account, webhook["id"], {"max_payload_bytes": None})
    assert status == 200 and answer["max_payload_bytes"] is None, answer
    # A template renders the JSON payload: not with json_raw or raw.
    status, _, answer = update(api, account, webhook["id"], {"payload_template": '{"a": 1}'})
    assert status == 422 and answer["code"] == "invalid_payload_format", answer
    status, _, answer = update(api, account, webhook["id"], {"payload_format": "json", "payload_template": '{"a": 1}'})
    assert status == 200, answer
    status, _, answer = update(api, account, webhook["id"], {"payload_format": "raw"})
    assert status == 422 and answer["code"] == "invalid_payload_format", answer
    status, _, answer = update(api, account, webhook["id"], {"payload_format": "raw", "payload_template": ""})
    assert status == 200 and answer["payload_format"] == "raw", answer
    assert fetched(api, account, webhook["id"])["payload_format"] == "raw"
    status, _, answer = create(api, account, {"address": unique_address(), "target_url": TARGET,
                                              "payload_format": "raw", "payload_template": '{"a": 1}'})
    assert status == 422 and answer["code"] == "invalid_payload_format", answer
