INSERT INTO categories (name) VALUES ('Pastry');
INSERT INTO categories (name) VALUES ('Tools');
INSERT INTO products (category_id, name, sku, description, price, stock, weight, active, released, status, attrs) VALUES (1, 'Éclair Crème', 'E1', 'Choux pastry', 2.50, 10, 0.1, TRUE, '2024-05-01', 'live', '{"a": 1}');
INSERT INTO products (category_id, name, sku, description, price, stock, weight, active, released, status, attrs) VALUES (2, 'Hammer', 'H1', 'Claw hammer', 12.00, 3, NULL, FALSE, NULL, 'draft', NULL);
INSERT INTO products (category_id, name, sku, description, price, stock, weight, active, released, status, attrs) VALUES (NULL, 'Widget', 'W1', '', 1.00, 0, NULL, TRUE, NULL, 'retired', NULL);
INSERT INTO reviews (product_id, rating, body) VALUES (1, 5, 'Delicious');
INSERT INTO reviews (product_id, rating, body) VALUES (1, 4, 'Sweet');
INSERT INTO stock_levels (product_id, warehouse, qty) VALUES (2, 'main', 3);
