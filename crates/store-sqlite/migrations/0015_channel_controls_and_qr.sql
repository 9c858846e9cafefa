-- Channel codes' controls (daily cap per manager, backup, schedules, skip-verify windows) as JSON like
-- the assignment, and the skip-verify WeCom was last told, so the schedule job calls WeCom only on a
-- change. The QR image WeCom serves for a code is kept once fetched: pages and posters read it from
-- here, not from WeCom on every view.
ALTER TABLE channel_codes ADD COLUMN controls_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE channel_codes ADD COLUMN skip_verify BOOLEAN NOT NULL DEFAULT TRUE;
CREATE TABLE channel_qr_images (
    code_id       INTEGER PRIMARY KEY REFERENCES channel_codes (id),
    qr_code       TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    image         BLOB    NOT NULL,
    fetched_at    INTEGER NOT NULL
);
-- The adds of a code today, per manager, and a code's customers newest first.
CREATE INDEX wecom_relationships_state_added ON wecom_relationships (state, added_at);
