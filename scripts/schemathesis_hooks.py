"""Schemathesis hooks for `make api-fuzz` (scripts/schemathesis.sh loads them
through the schemathesis.toml it writes).

Some 422 answers depend on what the store holds or on DNS, not on the request:
a webhook address on a domain the account has not verified, a per-account
limit reached, a TXT record that is not published. No JSON Schema can say
which domains an account verified, so for the operations below the run lets
positive_data_acceptance (ST202) accept 422, and this check takes its place
for them: a schema-valid request may get 422 only with one of the codes listed
for its operation (docs/RELIABILITY.md, "API fuzzing (schemathesis)"). Every
other 422 to a schema-valid request still fails the run, so a format rule
missing from docs/openapi.json is still found there.
"""
import schemathesis

# Operation label → the 422 codes that depend on state, not on the request
# (docs/API.md names each); a (code, text) pair when the code also names a
# format error and only the message with that text depends on state.
STATE_DEPENDENT_422 = {
    # 100 domains per account.
    "POST /api/v1/domains": {"too_many_domains"},
    # The DNS TXT proof is published by the domain's owner, not by the request.
    "POST /api/v1/domains/{id}/verify": {"dns_record_not_found", "dns_record_mismatch", "dns_temporary_failure"},
    # 100 policies per account.
    "POST /api/v1/smtp-policies": {"too_many_policies"},
    # The address must be on a domain this account verified (or a public one);
    # the policy id must name one of its policies; 1000 webhooks per account;
    # a Mustache template's grammar is not a JSON Schema rule.
    "POST /api/v1/webhooks": {
        "domain_not_verified", "public_domain_reserved", "invalid_security_policy", "too_many_webhooks",
        "invalid_payload_template",
    },
    # As above; and a template with a stored non-json payload_format (or the
    # reverse) is decided against the stored webhook.
    "PUT /api/v1/webhooks/{id}": {
        "domain_not_verified", "public_domain_reserved", "invalid_security_policy", "invalid_payload_template",
        "invalid_payload_format",
    },
    # since after until compares two fields; too_many_messages counts the store.
    "POST /api/v1/webhooks/{id}/redeliver": {"invalid_range", "too_many_messages"},
    # Which step of two-factor sign-in the account is at.
    "POST /api/v1/accounts/me/2fa/enable": {"totp_not_setup"},
    "DELETE /api/v1/accounts/me/2fa": {"totp_not_enabled"},
    "POST /api/v1/accounts/me/2fa/backup-codes": {"totp_not_enabled"},
    # 100 API tokens per account.
    "POST /api/v1/accounts/me/api-tokens": {"too_many_tokens"},
    # A new secret must differ from the webhook's current one (the coverage
    # phase sends the same smallest secret twice); a malformed secret is
    # invalid_secret too, so the message tells them apart.
    "POST /api/v1/webhooks/{id}/rotate-secret": {("invalid_secret", "must differ from the webhook's current secret")},
}


@schemathesis.check
def state_dependent_422_only(ctx, response, case):
    """A schema-valid request to an operation of STATE_DEPENDENT_422 answered
    422 must carry one of that operation's state-dependent codes."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    allowed = STATE_DEPENDENT_422.get(case.operation.label)
    if allowed is None:
        return None  # positive_data_acceptance reports it
    try:
        body = response.json()
        code, message = body.get("code"), str(body.get("error", ""))
    except Exception:
        code, message = None, ""
    if code not in allowed and not any(isinstance(a, tuple) and a[0] == code and a[1] in message for a in allowed):
        raise AssertionError(
            f"Schema-valid request rejected with 422 `{code}`, which does not depend on state "
            f"(allowed here: {', '.join(sorted(allowed))}): a rule missing from docs/openapi.json"
        )
    return None
