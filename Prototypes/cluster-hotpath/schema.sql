-- The shared control plane of a Conduit cluster (docs/SCALING.md, "The
-- schema"), reduced to what the prototype's hot path and change feed touch:
-- accounts, domains, SMTP policies and their AUTH user names, webhooks, API
-- tokens, quota accounting and the change log every node's cache follows.
-- Typed columns, not Conduit's binary records: operators query and back up
-- this database with the tools they already have.

CREATE TABLE accounts (
    id          text PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    quota_bytes bigint,                       -- NULL: [storage] account_quota_mb
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE domains (
    id                 text PRIMARY KEY,
    account_id         text REFERENCES accounts ON DELETE CASCADE,   -- NULL: public
    name               text NOT NULL,                                -- A-labels
    verification_token text,
    verified           boolean NOT NULL DEFAULT false,
    is_public          boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
-- First to verify wins: one verified or public row per name, whichever node
-- ran the DNS check (the LMDB index domains.by_verified_name, cluster-wide).
CREATE UNIQUE INDEX domains_verified_name ON domains (name) WHERE verified OR is_public;
CREATE INDEX domains_by_account ON domains (account_id);

CREATE TABLE smtp_policies (
    id                   text PRIMARY KEY,
    account_id           text NOT NULL REFERENCES accounts ON DELETE CASCADE,
    name                 text NOT NULL,
    allowed_source_ips   text[] NOT NULL DEFAULT '{}',
    allowed_spf_domains  text[] NOT NULL DEFAULT '{}',
    allowed_dkim_domains text[] NOT NULL DEFAULT '{}',
    require_spf          boolean NOT NULL DEFAULT false,
    require_dkim         boolean NOT NULL DEFAULT false,
    require_smtp_auth    boolean NOT NULL DEFAULT false,
    dmarc_enforcement    smallint NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX smtp_policies_by_account ON smtp_policies (account_id);

-- SMTP AUTH user names are unique on the whole service (smtp_policies.by_username).
CREATE TABLE smtp_credentials (
    username      text PRIMARY KEY,
    policy_id     text NOT NULL REFERENCES smtp_policies ON DELETE CASCADE,
    password_hash text NOT NULL
);
CREATE INDEX smtp_credentials_by_policy ON smtp_credentials (policy_id);

CREATE TABLE webhooks (
    id                      text PRIMARY KEY,
    account_id              text NOT NULL REFERENCES accounts ON DELETE CASCADE,
    address                 text NOT NULL UNIQUE,          -- local@domain or *@domain
    target_url              text NOT NULL,
    secret                  text NOT NULL,
    rate_limit              integer NOT NULL DEFAULT 0,
    active                  boolean NOT NULL DEFAULT true,
    smtp_security_policy_id text REFERENCES smtp_policies ON DELETE SET NULL,
    payload_format          smallint NOT NULL DEFAULT 0,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_by_account ON webhooks (account_id);
CREATE INDEX webhooks_by_policy ON webhooks (smtp_security_policy_id);

CREATE TABLE api_tokens (
    id          text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts ON DELETE CASCADE,
    name        text NOT NULL,
    token_hash  text NOT NULL UNIQUE,         -- hex SHA-256, never the token
    allowed_ips text[] NOT NULL DEFAULT '{}',
    expires_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_tokens_by_account ON api_tokens (account_id);

-- Quota: what each account has charged cluster-wide. `charged_bytes` is the
-- sum of the leases nodes hold (docs/SCALING.md, "Quota leases"); the
-- per-message UPDATE … RETURNING of the naive design is the same statement.
CREATE TABLE quota_usage (
    account_id    text PRIMARY KEY REFERENCES accounts ON DELETE CASCADE,
    charged_bytes bigint NOT NULL DEFAULT 0 CHECK (charged_bytes >= 0)
);
CREATE TABLE quota_leases (
    account_id    text NOT NULL REFERENCES accounts ON DELETE CASCADE,
    node_id       text NOT NULL,
    granted_bytes bigint NOT NULL CHECK (granted_bytes >= 0),
    PRIMARY KEY (account_id, node_id)
);

-- The change log the node caches follow. One counter row, taken by every
-- writing transaction's trigger: the row lock orders the writers, so the
-- sequence numbers commit in order and a node that applied `seq` has seen
-- every change below it (a bigserial could commit 7 before 6).
CREATE TABLE change_counter (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), seq bigint NOT NULL);
INSERT INTO change_counter VALUES (true, 0);
CREATE TABLE changes (
    seq        bigint PRIMARY KEY,
    table_name text NOT NULL,
    record_id  text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION conduit_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rid text;
    next_seq bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN rid := OLD.id; ELSE rid := NEW.id; END IF;
    UPDATE change_counter SET seq = seq + 1 RETURNING seq INTO next_seq;
    INSERT INTO changes (seq, table_name, record_id) VALUES (next_seq, TG_TABLE_NAME, rid);
    -- Delivered at commit, to every listening node; a node that missed it
    -- (reconnecting) reads `changes` after its last applied seq.
    PERFORM pg_notify('conduit_changes', next_seq || ' ' || TG_TABLE_NAME || ' ' || rid);
    RETURN NULL;
END $$;

CREATE TRIGGER domains_changed AFTER INSERT OR UPDATE OR DELETE ON domains
    FOR EACH ROW EXECUTE FUNCTION conduit_note_change();
CREATE TRIGGER smtp_policies_changed AFTER INSERT OR UPDATE OR DELETE ON smtp_policies
    FOR EACH ROW EXECUTE FUNCTION conduit_note_change();
CREATE TRIGGER webhooks_changed AFTER INSERT OR UPDATE OR DELETE ON webhooks
    FOR EACH ROW EXECUTE FUNCTION conduit_note_change();
CREATE TRIGGER api_tokens_changed AFTER INSERT OR UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION conduit_note_change();
