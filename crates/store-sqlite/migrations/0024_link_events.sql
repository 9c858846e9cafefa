-- Tracked links (雷达链接, issue 17 §4): every open of a signed link, time read on the article and
-- forwards, appended and never changed. A Moments or group link names no customer (customer_id NULL):
-- its openers are told apart by the browser's first-party visitor id. There is deliberately no foreign
-- key to content_versions: that table is another branch's (migration 0022), the version ids here come
-- only from tokens siyu signed itself, and this is the highest-volume append-only log siyu keeps (a
-- viral Moments post), where a key checked on every row costs each batch a look-up per event.
CREATE TABLE link_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id  INTEGER NOT NULL,
    customer_id INTEGER,
    staff_id    INTEGER NOT NULL,
    channel     TEXT    NOT NULL CHECK (channel IN ('one_to_one', 'moments', 'group')),
    visitor     TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('open', 'read', 'forward')),
    seconds     INTEGER NOT NULL DEFAULT 0,
    at          INTEGER NOT NULL
);
CREATE INDEX link_events_version ON link_events (version_id);
CREATE INDEX link_events_customer ON link_events (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX link_events_visitor ON link_events (visitor);

-- A visitor id is matched to the customer whose own link it first opened; from then on its anonymous
-- events (earlier or later) are attributed to that customer. First match wins: a phone handed around
-- or a forwarded one-to-one link never moves a visitor to another customer.
CREATE TABLE link_visitors (
    visitor     TEXT    PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    matched_at  INTEGER NOT NULL
);
