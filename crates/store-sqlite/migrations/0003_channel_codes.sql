-- Channel QR codes (渠道活码). A code's WeCom `state` is `ch_<id>`; its adds and deletions per day are
-- counted from wecom_relationships by that state, so the figures can never drift from the relationships.
CREATE TABLE channel_codes (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    sub_branch_id     INTEGER REFERENCES org_units (id),
    assignment_json   TEXT    NOT NULL,
    welcome_json      TEXT    NOT NULL,
    tags_json         TEXT    NOT NULL,
    config_id         TEXT,
    qr_code           TEXT,
    current_staff_id  INTEGER REFERENCES staff (id),
    active            BOOLEAN NOT NULL,
    created_by        INTEGER REFERENCES staff (id),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX channel_codes_sub_branch ON channel_codes (sub_branch_id);
CREATE INDEX wecom_relationships_state ON wecom_relationships (state);
