-- The tenant registry: the tenants, the host names that reach them, and a
-- generation counter every registry write bumps (caches compare it to know
-- when to drop what they hold). These tables live in the main database.
-- Foreign keys are table constraints: sqlc's SQLite parser types a column
-- with an inline REFERENCES clause as interface{}.

CREATE TABLE quarry_tenants (
    id           INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    slug         VARCHAR(63)  NOT NULL,
    name         VARCHAR(200) NOT NULL,
    mode         VARCHAR(16)  NOT NULL,
    database_url TEXT         NOT NULL,
    schema_name  VARCHAR(63)  NOT NULL,
    status       VARCHAR(16)  NOT NULL,
    logo_url     VARCHAR(500) NOT NULL DEFAULT '',
    accent       VARCHAR(7)   NOT NULL DEFAULT '',
    created_at   DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT quarry_tenants_slug_key UNIQUE (slug)
);

CREATE TABLE quarry_tenant_domains (
    host      VARCHAR(253) NOT NULL PRIMARY KEY,
    tenant_id INTEGER      NOT NULL,
    CONSTRAINT quarry_tenant_domains_tenant_fk FOREIGN KEY (tenant_id) REFERENCES quarry_tenants (id) ON DELETE CASCADE
);

CREATE INDEX quarry_tenant_domains_tenant_idx ON quarry_tenant_domains (tenant_id);

CREATE TABLE quarry_tenancy_generation (
    id         INTEGER NOT NULL PRIMARY KEY,
    generation BIGINT  NOT NULL
);

-- Impersonation grants redeemed (their nonces), kept until they expire so
-- that none is redeemed twice, on whichever instance it is presented.
CREATE TABLE quarry_tenancy_grant_nonces (
    nonce      VARCHAR(64) NOT NULL PRIMARY KEY,
    expires_at DATETIME NOT NULL
);
