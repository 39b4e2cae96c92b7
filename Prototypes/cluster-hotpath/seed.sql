-- :accounts accounts, each with a verified domain d<i>.example, a webhook
-- u<i>@d<i>.example, an API token; every second account an SMTP policy on
-- its webhook, every tenth a catch-all *@d<i>.example (psql -v accounts=N).
-- The triggers run as for any write, so `changes` holds the seed too.
BEGIN;
INSERT INTO accounts (id, email, quota_bytes)
    SELECT 'acct' || lpad(i::text, 8, '0'), 'owner' || i || '@example.org', 1073741824
    FROM generate_series(0, :accounts - 1) AS i;
INSERT INTO domains (id, account_id, name, verification_token, verified)
    SELECT 'dom' || lpad(i::text, 8, '0'), 'acct' || lpad(i::text, 8, '0'), 'd' || i || '.example', md5(i::text), true
    FROM generate_series(0, :accounts - 1) AS i;
INSERT INTO smtp_policies (id, account_id, name, allowed_source_ips, require_spf)
    SELECT 'pol' || lpad(i::text, 8, '0'), 'acct' || lpad(i::text, 8, '0'), 'policy ' || i, '{0.0.0.0/0}', false
    FROM generate_series(0, :accounts - 1, 2) AS i;
INSERT INTO webhooks (id, account_id, address, target_url, secret, smtp_security_policy_id)
    SELECT 'hook' || lpad(i::text, 8, '0'), 'acct' || lpad(i::text, 8, '0'), 'u' || i || '@d' || i || '.example',
           'https://hooks.example.net/in/' || i, 'whsec_' || encode(sha256(i::text::bytea), 'base64'),
           CASE WHEN i % 2 = 0 THEN 'pol' || lpad(i::text, 8, '0') END
    FROM generate_series(0, :accounts - 1) AS i;
INSERT INTO webhooks (id, account_id, address, target_url, secret)
    SELECT 'hookall' || lpad(i::text, 8, '0'), 'acct' || lpad(i::text, 8, '0'), '*@d' || i || '.example',
           'https://hooks.example.net/all/' || i, 'whsec_' || encode(sha256(i::text::bytea), 'base64')
    FROM generate_series(0, :accounts - 1, 10) AS i;
INSERT INTO api_tokens (id, account_id, name, token_hash)
    SELECT 'tok' || lpad(i::text, 8, '0'), 'acct' || lpad(i::text, 8, '0'), 'ci', encode(sha256(('cdt_' || i)::bytea), 'hex')
    FROM generate_series(0, :accounts - 1) AS i;
INSERT INTO quota_usage (account_id) SELECT id FROM accounts;
COMMIT;
ANALYZE;
