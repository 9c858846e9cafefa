-- The bank's product catalogue (issue 17): what content links to, and later what leads and business
-- events name. `code` is the bank's own product code, the key an import matches on; `kind` a
-- ProductType code; `risk_grade` R1–R5 as 1–5, NULL when the issuer gives none (the lint flags an item
-- linking such a product). A product taken off sale stays with `on_sale` false: items, sends and events
-- keep naming it.
CREATE TABLE products (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('deposit', 'wealth', 'fund', 'insurance', 'loan', 'card')),
    risk_grade  INTEGER  CHECK (risk_grade BETWEEN 1 AND 5),
    issuer      TEXT    NOT NULL DEFAULT '',
    on_sale     BOOLEAN NOT NULL DEFAULT TRUE,
    updated_by  INTEGER  REFERENCES staff (id),
    updated_at  INTEGER  NOT NULL
);
CREATE INDEX products_kind ON products (kind, risk_grade);
