-- Tags, their groups, which customers carry them, and the customer timeline every tag change is written to.
CREATE TABLE tag_groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE tags (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id       INTEGER NOT NULL REFERENCES tag_groups (id),
    name           TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('manual', 'imported', 'rule', 'behavioural')),
    sync_to_wecom  BOOLEAN NOT NULL,
    wecom_tag_id   TEXT,
    rule_text      TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (group_id, name)
);

CREATE TABLE customer_tags (
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    tag_id       INTEGER NOT NULL REFERENCES tags (id),
    source       TEXT    NOT NULL,
    tagged_at    INTEGER NOT NULL,
    PRIMARY KEY (customer_id, tag_id)
);
CREATE INDEX customer_tags_tag ON customer_tags (tag_id);

-- kind: tag_added, tag_removed (later: wecom_added, link_opened, game_answered, lead_created, business_event, …).
CREATE TABLE customer_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    kind         TEXT    NOT NULL,
    detail       TEXT    NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX customer_events_customer ON customer_events (customer_id, at);
