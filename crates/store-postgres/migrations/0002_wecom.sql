-- WeCom: callback de-duplication and the relationship between each customer (external contact) and
-- each staff member, with the times it began and ended.

-- One row per callback accepted, keyed by the SHA-1 of its decrypted XML: a replay inserts nothing.
CREATE TABLE wecom_callbacks (
    dedupe_key   TEXT    PRIMARY KEY,
    received_at  BIGINT  NOT NULL
);
CREATE INDEX wecom_callbacks_received ON wecom_callbacks (received_at);

-- status: active | deleted_by_customer | deleted_by_staff | transferred.
-- event_at is the WeCom time of the event that set the status: a late, older event never overwrites a
-- newer one.
CREATE TABLE wecom_relationships (
    external_userid  TEXT    NOT NULL,
    staff_userid     TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    state            TEXT,
    added_at         BIGINT,
    ended_at         BIGINT,
    event_at         BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    PRIMARY KEY (external_userid, staff_userid)
);
CREATE INDEX wecom_relationships_staff ON wecom_relationships (staff_userid, status);
