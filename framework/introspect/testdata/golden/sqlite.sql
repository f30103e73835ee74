CREATE TABLE gold_parent (
    a     INTEGER NOT NULL,
    b     VARCHAR(10) NOT NULL,
    label TEXT NULL UNIQUE,
    PRIMARY KEY (a, b)
);
CREATE TABLE gold_kinds (
    id        INTEGER PRIMARY KEY,
    i         INT NOT NULL DEFAULT -1,
    big       BIGINT NULL DEFAULT 42,
    small     SMALLINT NULL,
    flag      BOOLEAN NOT NULL DEFAULT 0,
    flag2     BOOL NULL DEFAULT TRUE,
    flag3     BOOLEAN NULL DEFAULT 'false',
    flag4     BOOLEAN NULL DEFAULT 2,
    amount    DECIMAL(10,2) NOT NULL DEFAULT 1.50,
    num       NUMERIC NULL,
    f         REAL NULL DEFAULT 1.5,
    d         DOUBLE NULL,
    fl        FLOAT NULL,
    name      VARCHAR(200) NOT NULL DEFAULT 'it''s',
    code      CHARACTER( 3 ) NULL,
    nv        NVARCHAR(7) NULL,
    cl        CLOB NULL,
    body      TEXT NOT NULL DEFAULT '',
    nulldef   TEXT NULL DEFAULT NULL,
    nulldef2  TEXT NULL DEFAULT null,
    born      DATE NULL DEFAULT '2020-01-02',
    seen      DATETIME NULL,
    stamp     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    at_time   TIME NULL,
    doc       JSON NULL,
    uid       UUID NULL,
    raw       BLOB NULL,
    untyped,
    money     MONEY NULL,
    exprdef   INTEGER NULL DEFAULT (1 + 2),
    total     NUMERIC GENERATED ALWAYS AS (amount * 2) STORED,
    virt      INT GENERATED ALWAYS AS (i + 1) VIRTUAL,
    parent_a  INTEGER NULL,
    parent_b  VARCHAR(10) NULL,
    CONSTRAINT gold_kinds_parent_fk FOREIGN KEY (parent_a, parent_b) REFERENCES gold_parent (a, b) ON DELETE CASCADE,
    CONSTRAINT gold_kinds_name_code_key UNIQUE (name, code)
);
CREATE INDEX gold_kinds_seen_idx ON gold_kinds (seen DESC, i);
CREATE INDEX "gold_kinds_Z_idx" ON gold_kinds (d);
CREATE UNIQUE INDEX gold_kinds_partial ON gold_kinds (big) WHERE flag;
CREATE INDEX gold_kinds_expr ON gold_kinds (lower(name));
CREATE INDEX "primary" ON gold_kinds (small);
CREATE TABLE gold_refs (
    kind_id      INTEGER NULL REFERENCES gold_kinds ON DELETE SET NULL,
    kind_id2     INTEGER NOT NULL DEFAULT 0 REFERENCES gold_kinds (id) ON DELETE SET DEFAULT,
    kind_id3     INTEGER NULL REFERENCES gold_kinds (id) ON DELETE RESTRICT,
    kind_id4     INTEGER NULL REFERENCES gold_kinds (id),
    parent_any   INTEGER NULL REFERENCES gold_parent,
    missing      INTEGER NULL REFERENCES gold_nowhere,
    "Mixed Case" TEXT NULL
);
CREATE TABLE gold_wr (
    k TEXT NOT NULL,
    n INTEGER NOT NULL,
    v TEXT,
    PRIMARY KEY (n, k)
) WITHOUT ROWID;
CREATE TABLE gold_intpk_wr (
    id INTEGER PRIMARY KEY,
    v  TEXT
) WITHOUT ROWID;
CREATE TABLE gold_bigpk (
    id BIGINT PRIMARY KEY,
    v  TEXT
);
CREATE TABLE gold_lowint (
    id integer primary key
);
CREATE TABLE "Gold Upper" (
    "Key" TEXT PRIMARY KEY
);
CREATE VIRTUAL TABLE gold_fts USING fts5(title, body);
CREATE VIEW gold_view AS SELECT id, name FROM gold_kinds;
