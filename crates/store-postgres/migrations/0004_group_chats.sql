-- Customer groups (客户群) and who is in them. Members are staff userids (type 1) or customers'
-- external_userids (type 2); a member who leaves keeps their row with left_at set, so a group's history
-- (and a customer lost from a group) stays visible.
CREATE TABLE group_chats (
    chat_id         TEXT    PRIMARY KEY,
    name            TEXT    NOT NULL,
    owner_userid    TEXT    NOT NULL,
    member_version  TEXT    NOT NULL,
    dismissed       BOOLEAN NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX group_chats_owner ON group_chats (owner_userid);

CREATE TABLE group_members (
    chat_id        TEXT    NOT NULL REFERENCES group_chats (chat_id),
    member_userid  TEXT    NOT NULL,
    member_type    BIGINT  NOT NULL,
    joined_at      BIGINT  NOT NULL,
    left_at        BIGINT ,
    PRIMARY KEY (chat_id, member_userid)
);
CREATE INDEX group_members_member ON group_members (member_userid);
