-- The tenant registry's queries. `make gen` (quarry gen --types registrydb
-- in tenancy/) compiles them into tenancy/registrydb.

-- name: TenantCreate :one
INSERT INTO quarry_tenants (slug, name, mode, database_url, schema_name, status)
VALUES (sqlc.arg(slug), sqlc.arg(name), sqlc.arg(mode), sqlc.arg(database_url), sqlc.arg(schema_name), sqlc.arg(status))
RETURNING id;

-- name: TenantBySlug :one
SELECT * FROM quarry_tenants WHERE slug = sqlc.arg(slug);

-- TenantByHost returns the tenant a custom domain is registered to.
-- name: TenantByHost :one
SELECT * FROM quarry_tenants
WHERE id = (SELECT tenant_id FROM quarry_tenant_domains WHERE host = sqlc.arg(host));

-- name: TenantList :many
SELECT * FROM quarry_tenants ORDER BY slug;

-- name: TenantSetStatus :execrows
UPDATE quarry_tenants SET status = sqlc.arg(status), updated_at = CURRENT_TIMESTAMP
WHERE slug = sqlc.arg(slug);

-- name: TenantDelete :execrows
DELETE FROM quarry_tenants WHERE slug = sqlc.arg(slug);

-- name: DomainAdd :exec
INSERT INTO quarry_tenant_domains (host, tenant_id) VALUES (sqlc.arg(host), sqlc.arg(tenant_id));

-- name: DomainRemove :execrows
DELETE FROM quarry_tenant_domains WHERE host = sqlc.arg(host) AND tenant_id = sqlc.arg(tenant_id);

-- name: DomainList :many
SELECT host FROM quarry_tenant_domains WHERE tenant_id = sqlc.arg(tenant_id) ORDER BY host;

-- GenerationBump moves the registry's generation on; every write runs it in
-- its transaction.
-- name: GenerationBump :exec
INSERT INTO quarry_tenancy_generation (id, generation) VALUES (1, 1)
ON CONFLICT (id) DO UPDATE SET generation = quarry_tenancy_generation.generation + 1;

-- name: Generation :one
SELECT generation FROM quarry_tenancy_generation WHERE id = 1;

-- name: TenantSetBranding :execrows
UPDATE quarry_tenants SET logo_url = sqlc.arg(logo_url), accent = sqlc.arg(accent), updated_at = CURRENT_TIMESTAMP
WHERE slug = sqlc.arg(slug);

-- NonceUse records a redeemed grant's nonce; a second use of the same
-- nonce is a unique violation.
-- name: NonceUse :exec
INSERT INTO quarry_tenancy_grant_nonces (nonce, expires_at) VALUES (sqlc.arg(nonce), sqlc.arg(expires_at));

-- name: NonceDeleteExpired :execrows
DELETE FROM quarry_tenancy_grant_nonces WHERE expires_at < sqlc.arg(now);
