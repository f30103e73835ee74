CREATE TABLE categories (
    id   BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(50) NOT NULL,
    opens TIME NULL,
    CONSTRAINT categories_name_key UNIQUE (name)
);
CREATE TABLE products (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    category_id BIGINT NULL,
    name        VARCHAR(100) NOT NULL,
    sku         VARCHAR(20) NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    price       DECIMAL(10,2) NOT NULL,
    stock       INT NOT NULL DEFAULT 0,
    weight      DOUBLE NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    released    DATE NULL,
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    status      ENUM('draft', 'live', 'retired') NOT NULL DEFAULT 'draft',
    attrs       JSON NULL,
    stock_value DECIMAL(12,2) AS (price * stock) STORED,
    CONSTRAINT products_sku_key UNIQUE (sku),
    CONSTRAINT products_price_check CHECK (price >= 0),
    CONSTRAINT products_category_fk FOREIGN KEY (category_id) REFERENCES categories (id) ON DELETE SET NULL
);
CREATE TABLE reviews (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    product_id BIGINT NOT NULL,
    rating     SMALLINT NOT NULL,
    body       TEXT NOT NULL,
    CONSTRAINT reviews_product_fk FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
);
CREATE TABLE stock_levels (
    product_id BIGINT NOT NULL,
    warehouse  VARCHAR(20) NOT NULL,
    qty        INT NOT NULL,
    PRIMARY KEY (product_id, warehouse),
    CONSTRAINT stock_levels_product_fk FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE RESTRICT
);
CREATE TABLE codes (
    n     BIGINT PRIMARY KEY,
    label VARCHAR(20) NOT NULL,
    CONSTRAINT codes_label_key UNIQUE (label)
);
CREATE TABLE nodes (
    id        BIGINT PRIMARY KEY,
    parent_id BIGINT NULL,
    CONSTRAINT nodes_parent_fk FOREIGN KEY (parent_id) REFERENCES nodes (id)
);
