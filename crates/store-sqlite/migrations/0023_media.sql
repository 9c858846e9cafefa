-- The content library's images and files (issue 17). One row per distinct content: `sha256` (hex) is
-- unique, so the same bytes uploaded twice are stored once. `content_type` is what siyu found the
-- bytes to be (never what the uploader said); `file_name` the uploader's name for it, sanitised and
-- bounded, used only for a download's name. The bytes live in the row: images ≤ 2 MiB and files
-- ≤ 10 MiB, the few hundred a bank's library holds.
CREATE TABLE media (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256       TEXT    NOT NULL UNIQUE,
    content_type TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('image', 'file')),
    size         INTEGER  NOT NULL,
    bytes        BLOB    NOT NULL,
    file_name    TEXT    NOT NULL,
    uploaded_by  INTEGER  REFERENCES staff (id),
    uploaded_at  INTEGER  NOT NULL
);
CREATE INDEX media_kind ON media (kind, id);

-- A medium's current copy on WeCom (temporary media, valid 3 days): what outbound messages name.
-- Renewed by the `media.renew` job before `expires_at`; one row per medium, replaced on renewal.
CREATE TABLE wecom_media (
    media_id       INTEGER  PRIMARY KEY REFERENCES media (id),
    wecom_media_id TEXT    NOT NULL,
    uploaded_at    INTEGER  NOT NULL,
    expires_at     INTEGER  NOT NULL
);
CREATE INDEX wecom_media_expiry ON wecom_media (expires_at);
