-- HQ compliance's own word list for the content lint (issue 17, banking rule 4), kept beside the
-- defaults compiled into siyu-content. One row per word with its class, whether it blocks approval,
-- the characters that make it ordinary when they follow it, and who last changed it and when.
CREATE TABLE compliance_words (
    word                TEXT PRIMARY KEY,
    class               TEXT NOT NULL CHECK (class IN ('guaranteed', 'superlative', 'listed')),
    blocking            BOOLEAN NOT NULL,
    unless_followed_by  TEXT NOT NULL DEFAULT '',
    changed_by          INTEGER REFERENCES staff (id),
    changed_at          INTEGER NOT NULL
);
