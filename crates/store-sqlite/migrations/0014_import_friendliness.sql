-- Import friendliness (issue 16). A column mapping an operator chose is remembered for the header row
-- it was chosen for (keyed by a hash of the normalised headers, for the whole bank: the same core
-- export is uploaded by several operators), so the next upload of those headers is mapped at once.
-- The dry run previews what a commit would do (new / updated / unchanged rows), and says whether its
-- mapping came from memory. A file whose header row was read but did not map is no longer "rejected"
-- but "needs_mapping"; the uploads recorded before this migration are moved by their error text,
-- which the header problems have always begun with.
CREATE TABLE import_mappings (
    header_key    TEXT    PRIMARY KEY,
    mapping_json  TEXT    NOT NULL,
    updated_by    INTEGER REFERENCES staff (id),
    updated_at    INTEGER NOT NULL
);

ALTER TABLE imports ADD COLUMN preview_inserted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN preview_updated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN preview_unchanged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN mapping_remembered BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE imports SET status = 'needs_mapping'
WHERE status = 'rejected' AND headers_json <> '[]'
  AND (file_error LIKE '无法识别的列%' OR file_error LIKE '缺少必填列%' OR file_error LIKE '列重复%');
