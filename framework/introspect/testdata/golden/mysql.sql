CREATE TABLE gold_parent (
    a     INT NOT NULL,
    b     VARCHAR(10) NOT NULL,
    label VARCHAR(50) NULL,
    PRIMARY KEY (a, b),
    CONSTRAINT gold_parent_label_key UNIQUE (label)
);
CREATE TABLE gold_kinds (
    id        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    i8        TINYINT NOT NULL DEFAULT -1,
    u8        TINYINT UNSIGNED NULL,
    flag      TINYINT(1) NOT NULL DEFAULT 0,
    flag2     BOOLEAN NULL DEFAULT TRUE,
    flag3     BOOL NOT NULL DEFAULT 2,
    i16       SMALLINT UNSIGNED NOT NULL DEFAULT 7,
    i24       MEDIUMINT NULL,
    i32       INT NULL DEFAULT 42,
    i64       BIGINT NOT NULL DEFAULT 0,
    yr        YEAR NULL,
    amount    DECIMAL(10,2) NOT NULL DEFAULT 1.50,
    f32       FLOAT NULL DEFAULT 1.5,
    f64       DOUBLE NULL,
    r         REAL NULL,
    name      VARCHAR(200) NOT NULL DEFAULT 'it''s',
    code      CHAR(3) NULL,
    empty_def VARCHAR(10) NOT NULL DEFAULT '',
    body      TEXT NOT NULL,
    tiny      TINYTEXT NULL,
    medium    MEDIUMTEXT NULL,
    long_text LONGTEXT NULL,
    mood      ENUM('sad', 'it''s ok', 'back\\slash', 'happy') NOT NULL DEFAULT 'happy',
    perms     SET('r', 'w') NULL,
    born      DATE NULL DEFAULT '2020-01-02',
    seen      DATETIME NULL,
    seen6     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    stamp     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    at_time   TIME NULL,
    doc       JSON NULL,
    uid       UUID NOT NULL DEFAULT UUID(),
    raw       BLOB NULL,
    tinyraw   TINYBLOB NULL,
    bin       BINARY(16) NULL,
    vbin      VARBINARY(32) NULL,
    b1        BIT(1) NULL,
    total     DECIMAL(12,2) AS (amount * 2) STORED,
    virt      INT AS (i32 + 1) VIRTUAL,
    nulldef   VARCHAR(5) NULL DEFAULT NULL,
    expr_def  VARCHAR(20) NULL DEFAULT (concat('a', 'b')),
    parent_a  INT NULL,
    parent_b  VARCHAR(10) NULL,
    CONSTRAINT gold_kinds_parent_fk FOREIGN KEY (parent_a, parent_b) REFERENCES gold_parent (a, b) ON DELETE CASCADE,
    CONSTRAINT gold_kinds_name_code_key UNIQUE (name, code),
    INDEX gold_kinds_seen_idx (seen, i32),
    INDEX gold_kinds_Z_idx (f64),
    INDEX gold_kinds_prefix (body(20))
);
CREATE TABLE gold_refs (
    kind_id      BIGINT UNSIGNED NULL,
    kind_id3     BIGINT UNSIGNED NULL,
    kind_id4     BIGINT UNSIGNED NULL,
    `Mixed Case` TEXT NULL,
    CONSTRAINT gold_refs_a FOREIGN KEY (kind_id) REFERENCES gold_kinds (id) ON DELETE SET NULL,
    CONSTRAINT gold_refs_b FOREIGN KEY (kind_id3) REFERENCES gold_kinds (id) ON DELETE RESTRICT,
    CONSTRAINT gold_refs_c FOREIGN KEY (kind_id4) REFERENCES gold_kinds (id)
);
CREATE TABLE `Gold Upper` (
    `Key` VARCHAR(20) PRIMARY KEY
);
CREATE VIEW gold_view AS SELECT id, name FROM gold_kinds;
