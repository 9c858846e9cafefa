-- Sends of library items (issue 17 §7, the last mile measured): one row each time a manager takes an
-- item to send — a tracked link issued for a customer, their Moments or a group — so the figures say
-- who sends what and who does not. WeCom tells siyu nothing of what a manager pastes into a chat, so a
-- send is counted where siyu hands the item over; journeys (a later issue) will record theirs here too.
-- No foreign keys, as link_events: an append-only log written on a busy path.
CREATE TABLE content_sends (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id     BIGINT  NOT NULL,
    version_id  BIGINT  NOT NULL,
    staff_id    BIGINT  NOT NULL,
    customer_id BIGINT,
    channel     TEXT    NOT NULL CHECK (channel IN ('one_to_one', 'moments', 'group')),
    at          BIGINT  NOT NULL
);
CREATE INDEX content_sends_item ON content_sends (item_id, at);
CREATE INDEX content_sends_staff ON content_sends (staff_id, item_id);
