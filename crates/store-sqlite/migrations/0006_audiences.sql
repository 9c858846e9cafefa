-- Saved audiences and their members; tag names unique across groups (an expression names a tag by
-- its name alone); indexes the audience engine reads through when it loads and catches up.
CREATE UNIQUE INDEX tags_name ON tags (name);
CREATE INDEX customer_events_at ON customer_events (at);
CREATE INDEX customers_updated ON customers (updated_at);

CREATE TABLE audiences (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    expr          TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    created_by    INTEGER REFERENCES staff (id),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    refreshed_at  INTEGER,
    member_count  INTEGER NOT NULL
);

CREATE TABLE audience_members (
    audience_id  INTEGER NOT NULL REFERENCES audiences (id),
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    entered_at   INTEGER NOT NULL,
    PRIMARY KEY (audience_id, customer_id)
);
