-- The content library (issue 17): items, their versions and the maker-checker review of each version.
-- An item is what people find in the library (kind and category do not change); a version is the words
-- a reviewer read. Reviewed words are never edited in place: a new version is a new row, and only a
-- published, unexpired version is sent. `owner_unit` NULL is HQ's own item; a branch's local variant
-- names its unit and the HQ item it was made of (`variant_of`).
CREATE TABLE content_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL CHECK (kind IN ('text', 'image', 'article', 'link', 'poster', 'mini_program', 'file')),
    category    TEXT    NOT NULL,
    owner_unit  INTEGER REFERENCES org_units (id),
    variant_of  INTEGER REFERENCES content_items (id),
    created_by  INTEGER REFERENCES staff (id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX content_items_category ON content_items (category, kind);

-- `body` is the text, or the article's HTML as sanitised at save. `media_id` names an upload of the
-- media table (migration 0023, another change): a plain integer without a foreign key so this
-- migration stands on its own; the media change may add the constraint. `channels` is the channel codes
-- joined by commas. Every review step changes `status` only from the status it read (compare-and-set).
CREATE TABLE content_versions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id         INTEGER NOT NULL REFERENCES content_items (id),
    number          INTEGER NOT NULL,
    title           TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    link_url        TEXT    NOT NULL DEFAULT '',
    link_desc       TEXT    NOT NULL DEFAULT '',
    mini_appid      TEXT    NOT NULL DEFAULT '',
    mini_page       TEXT    NOT NULL DEFAULT '',
    media_id        INTEGER,
    stage           TEXT,
    channels        TEXT    NOT NULL DEFAULT '',
    expires_at      INTEGER,
    status          TEXT    NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'published', 'retired')),
    author          INTEGER NOT NULL REFERENCES staff (id),
    created_at      INTEGER NOT NULL,
    changed_at      INTEGER NOT NULL,
    submitted_at    INTEGER,
    reviewer        INTEGER REFERENCES staff (id),
    reviewed_at     INTEGER,
    reject_reason   TEXT,
    override_reason TEXT,
    published_at    INTEGER,
    retired_at      INTEGER,
    UNIQUE (item_id, number)
);
CREATE INDEX content_versions_status ON content_versions (status, submitted_at);

CREATE TABLE content_version_products (
    version_id  INTEGER NOT NULL REFERENCES content_versions (id),
    product_id  INTEGER NOT NULL REFERENCES products (id),
    PRIMARY KEY (version_id, product_id)
);
