-- An administrator's password reset leaves a temporary password the member must replace at their next
-- sign-in: until then their session may only change it.
ALTER TABLE staff ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;

-- Hand-overs of a leaving customer manager's customers to successors (离职继承 / 在职继承), one row per
-- customer with where its WeCom transfer stands. `state` moves pending → requested → waiting →
-- succeeded | failed (see domain/src/handover.rs); only succeeded moves the customer's owner.
CREATE TABLE handovers (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    from_staff_id  INTEGER NOT NULL REFERENCES staff (id),
    resigned       BOOLEAN NOT NULL,
    created_by     INTEGER REFERENCES staff (id),
    created_at     INTEGER NOT NULL,
    finished_at    INTEGER
);

CREATE TABLE handover_items (
    handover_id      INTEGER NOT NULL REFERENCES handovers (id),
    customer_id      INTEGER NOT NULL REFERENCES customers (id),
    to_staff_id      INTEGER NOT NULL REFERENCES staff (id),
    external_userid  TEXT,
    state            TEXT    NOT NULL,
    reason           TEXT,
    takeover_at      INTEGER,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (handover_id, customer_id)
);
-- A customer is in at most one unfinished hand-over: a second one could transfer them twice.
CREATE UNIQUE INDEX handover_items_open ON handover_items (customer_id) WHERE state IN ('pending', 'requested', 'waiting');
