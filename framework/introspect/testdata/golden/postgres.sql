CREATE TYPE gold_mood AS ENUM ('sad', 'it''s ok', 'happy');
CREATE DOMAIN gold_code AS VARCHAR(12);
CREATE TABLE gold_parent (
    a     INTEGER NOT NULL,
    b     VARCHAR(10) NOT NULL,
    label TEXT NULL,
    PRIMARY KEY (a, b),
    CONSTRAINT gold_parent_label_key UNIQUE (label)
);
CREATE TABLE gold_kinds (
    id           BIGSERIAL PRIMARY KEY,
    ident        INTEGER GENERATED ALWAYS AS IDENTITY,
    small_serial SMALLSERIAL,
    i16          SMALLINT NOT NULL DEFAULT -1,
    i32          INTEGER NULL DEFAULT 42,
    i64          BIGINT NOT NULL DEFAULT 0,
    amount       NUMERIC(10,2) NOT NULL DEFAULT 1.50,
    amount_free  NUMERIC NULL,
    f32          REAL NULL DEFAULT 1.5,
    f64          DOUBLE PRECISION NULL,
    flag         BOOLEAN NOT NULL DEFAULT FALSE,
    flag2        BOOLEAN NULL DEFAULT TRUE,
    name         VARCHAR(200) NOT NULL DEFAULT 'it''s',
    code         CHAR(3) NULL,
    body         TEXT NOT NULL DEFAULT '',
    nulldef      VARCHAR(5) NULL DEFAULT NULL,
    mood         gold_mood NOT NULL DEFAULT 'happy',
    mood_null    gold_mood NULL,
    dom          gold_code NULL,
    born         DATE NULL DEFAULT '2020-01-02',
    seen         TIMESTAMP NULL,
    seen_tz      TIMESTAMPTZ NOT NULL DEFAULT now(),
    at_time      TIME NULL,
    at_timetz    TIME WITH TIME ZONE NULL,
    doc          JSON NULL,
    docb         JSONB NOT NULL DEFAULT '{}',
    uid          UUID NOT NULL DEFAULT gen_random_uuid(),
    raw          BYTEA NULL,
    tags         TEXT[] NULL,
    span         INTERVAL NULL,
    bits         BIT(8) NULL,
    vbits        BIT VARYING(16) NULL,
    addr         INET NULL,
    total        NUMERIC(12,2) GENERATED ALWAYS AS (amount * 2) STORED,
    parent_a     INTEGER NULL,
    parent_b     VARCHAR(10) NULL,
    CONSTRAINT gold_kinds_parent_fk FOREIGN KEY (parent_a, parent_b) REFERENCES gold_parent (a, b) ON DELETE CASCADE,
    CONSTRAINT gold_kinds_name_code_key UNIQUE (name, code)
);
CREATE INDEX gold_kinds_seen_idx ON gold_kinds (seen DESC, i32);
CREATE INDEX "gold_kinds_Z_idx" ON gold_kinds (f64);
CREATE UNIQUE INDEX gold_kinds_partial ON gold_kinds (i64) WHERE flag;
CREATE INDEX gold_kinds_expr ON gold_kinds (lower(name));
CREATE UNIQUE INDEX gold_kinds_incl ON gold_kinds (i16) INCLUDE (f64);
CREATE TABLE gold_refs (
    kind_id      BIGINT NULL REFERENCES gold_kinds (id) ON DELETE SET NULL,
    kind_id2     BIGINT NOT NULL DEFAULT 0 REFERENCES gold_kinds (id) ON DELETE SET DEFAULT,
    kind_id3     BIGINT NULL REFERENCES gold_kinds (id) ON DELETE RESTRICT,
    kind_id4     BIGINT NULL REFERENCES gold_kinds (id),
    "Mixed Case" TEXT NULL
);
CREATE TABLE "Gold Upper" (
    "Key" TEXT PRIMARY KEY
);
CREATE VIEW gold_view AS SELECT id, name FROM gold_kinds;
CREATE TABLE gold_part (
    id     INTEGER NOT NULL,
    region TEXT NOT NULL,
    PRIMARY KEY (id, region)
) PARTITION BY LIST (region);
CREATE TABLE gold_part_eu PARTITION OF gold_part FOR VALUES IN ('eu');
