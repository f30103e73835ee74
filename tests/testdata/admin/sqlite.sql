CREATE TABLE categories (
    id   INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(50) NOT NULL,
    opens TIME NULL,
    CONSTRAINT categories_name_key UNIQUE (name)
);
CREATE TABLE products (
    id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    category_id INTEGER NULL,
    name        VARCHAR(100) NOT NULL,
    sku         VARCHAR(20) NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    price       NUMERIC(10,2) NOT NULL,
    stock       INTEGER NOT NULL DEFAULT 0,
    weight      REAL NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    released    DATE NULL,
    updated_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    status      VARCHAR(10) NOT NULL DEFAULT 'draft',
    attrs       JSON NULL,
    stock_value NUMERIC GENERATED ALWAYS AS (price * stock) STORED,
    CONSTRAINT products_sku_key UNIQUE (sku),
    CONSTRAINT products_price_check CHECK (price >= 0),
    CONSTRAINT products_category_fk FOREIGN KEY (category_id) REFERENCES categories (id) ON DELETE SET NULL
);
CREATE TABLE reviews (
    id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    product_id INTEGER NOT NULL,
    rating     SMALLINT NOT NULL,
    body       TEXT NOT NULL,
    CONSTRAINT reviews_product_fk FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
);
CREATE TABLE stock_levels (
    product_id INTEGER NOT NULL,
    warehouse  VARCHAR(20) NOT NULL,
    qty        INTEGER NOT NULL,
    PRIMARY KEY (product_id, warehouse),
    CONSTRAINT stock_levels_product_fk FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE RESTRICT
);
CREATE TABLE codes (
    n     INTEGER PRIMARY KEY,
    label VARCHAR(20) NOT NULL,
    CONSTRAINT codes_label_key UNIQUE (label)
) WITHOUT ROWID;
CREATE TABLE nodes (
    id        INTEGER PRIMARY KEY,
    parent_id INTEGER NULL,
    CONSTRAINT nodes_parent_fk FOREIGN KEY (parent_id) REFERENCES nodes (id)
);
