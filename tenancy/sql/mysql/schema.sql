-- The tenant registry: the tenants, the host names that reach them, and a
-- generation counter every registry write bumps (caches compare it to know
-- when to drop what they hold). These tables live in the main database.

CREATE TABLE quarry_tenants (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    slug         VARCHAR(63)  NOT NULL,
    name         VARCHAR(200) NOT NULL,
    mode         VARCHAR(16)  NOT NULL,
    database_url TEXT         NOT NULL,
    schema_name  VARCHAR(63)  NOT NULL,
    status       VARCHAR(16)  NOT NULL,
    logo_url     VARCHAR(500) NOT NULL DEFAULT '',
    accent       VARCHAR(7)   NOT NULL DEFAULT '',
    created_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT quarry_tenants_slug_key UNIQUE (slug)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE quarry_tenant_domains (
    host      VARCHAR(253) NOT NULL PRIMARY KEY,
    tenant_id BIGINT       NOT NULL,
    INDEX quarry_tenant_domains_tenant_idx (tenant_id),
    CONSTRAINT quarry_tenant_domains_tenant_fk FOREIGN KEY (tenant_id) REFERENCES quarry_tenants (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE quarry_tenancy_generation (
    id         BIGINT NOT NULL PRIMARY KEY,
    generation BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Impersonation grants redeemed (their nonces), kept until they expire so
-- that none is redeemed twice, on whichever instance it is presented.
CREATE TABLE quarry_tenancy_grant_nonces (
    nonce      VARCHAR(64) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY, -- base64url: case matters
    expires_at DATETIME(6) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
