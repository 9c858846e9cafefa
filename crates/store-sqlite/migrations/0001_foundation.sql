-- Foundation: organisation, staff, customers, imports, jobs, audit log, sessions, API tokens.
-- Timestamps are Unix milliseconds (INTEGER) and dates are 'YYYY-MM-DD' text, as in the PostgreSQL tree.

CREATE TABLE org_units (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL CHECK (kind IN ('head_office', 'branch', 'sub_branch')),
    parent_id   INTEGER REFERENCES org_units (id),
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    lat         REAL,
    lng         REAL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX org_units_parent ON org_units (parent_id);

CREATE TABLE staff (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT    NOT NULL UNIQUE,
    display_name   TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    org_unit_id    INTEGER NOT NULL REFERENCES org_units (id),
    wecom_userid   TEXT    UNIQUE,
    password_hash  TEXT    NOT NULL,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX staff_org_unit ON staff (org_unit_id);

-- Customers are never deleted, so the rowid key (no AUTOINCREMENT, faster bulk inserts) never reuses ids.
CREATE TABLE customers (
    id                     INTEGER PRIMARY KEY,
    customer_no            TEXT    NOT NULL UNIQUE,
    name                   TEXT    NOT NULL,
    phone_cipher           BLOB,
    phone_index            BLOB,
    phone_masked           TEXT,
    id_cipher              BLOB,
    id_index               BLOB,
    id_masked              TEXT,
    gender                 TEXT    NOT NULL,
    birthday               TEXT,
    sub_branch_id          INTEGER NOT NULL REFERENCES org_units (id),
    owner_id               INTEGER REFERENCES staff (id),
    aum_tier               INTEGER NOT NULL CHECK (aum_tier BETWEEN 1 AND 5),
    payroll_day            INTEGER CHECK (payroll_day BETWEEN 1 AND 31),
    credit_card            BOOLEAN NOT NULL,
    wealth                 BOOLEAN NOT NULL,
    loan                   BOOLEAN NOT NULL,
    risk_grade             INTEGER CHECK (risk_grade BETWEEN 1 AND 5),
    risk_assessed_on       TEXT,
    consent_1v1            BOOLEAN NOT NULL,
    consent_moments        BOOLEAN NOT NULL,
    consent_group          BOOLEAN NOT NULL,
    consent_personalised   BOOLEAN NOT NULL,
    wecom_external_userid  TEXT,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE INDEX customers_owner ON customers (owner_id);
CREATE INDEX customers_sub_branch ON customers (sub_branch_id);
CREATE INDEX customers_phone_index ON customers (phone_index);
CREATE UNIQUE INDEX customers_wecom ON customers (wecom_external_userid) WHERE wecom_external_userid IS NOT NULL;

CREATE TABLE imports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name       TEXT    NOT NULL,
    stored_path     TEXT    NOT NULL,
    mapping_json    TEXT    NOT NULL,
    headers_json    TEXT    NOT NULL DEFAULT '[]',
    status          TEXT    NOT NULL,
    file_error      TEXT,
    total_rows      INTEGER NOT NULL,
    good_rows       INTEGER NOT NULL,
    bad_rows        INTEGER NOT NULL,
    rows_committed  INTEGER NOT NULL,
    inserted        INTEGER NOT NULL,
    updated         INTEGER NOT NULL,
    unchanged       INTEGER NOT NULL,
    created_by      INTEGER REFERENCES staff (id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE import_problems (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id    INTEGER NOT NULL REFERENCES imports (id),
    row_no       INTEGER NOT NULL,
    column_name  TEXT    NOT NULL,
    code         TEXT    NOT NULL,
    message      TEXT    NOT NULL,
    raw_json     TEXT    NOT NULL
);
CREATE INDEX import_problems_import ON import_problems (import_id, row_no);

CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL,
    payload       TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    run_at        INTEGER NOT NULL,
    attempts      INTEGER NOT NULL,
    max_attempts  INTEGER NOT NULL,
    lease_until   INTEGER,
    worker        TEXT,
    last_error    TEXT,
    dedupe_key    TEXT,
    created_at    INTEGER NOT NULL,
    finished_at   INTEGER
);
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running');

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    staff_id  INTEGER REFERENCES staff (id),
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    target    TEXT    NOT NULL,
    detail    TEXT    NOT NULL,
    ip        TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_target ON audit_log (target);
CREATE INDEX audit_log_action ON audit_log (action, at);

CREATE TABLE sessions (
    token_hash  BLOB    PRIMARY KEY,
    staff_id    INTEGER NOT NULL REFERENCES staff (id),
    csrf_token  TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_staff ON sessions (staff_id);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    token_hash    BLOB    NOT NULL UNIQUE,
    scopes        TEXT    NOT NULL,
    created_by    INTEGER REFERENCES staff (id),
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    last_used_at  INTEGER
);
