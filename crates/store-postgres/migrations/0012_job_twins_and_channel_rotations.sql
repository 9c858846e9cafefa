-- A job queued while its twin (same dedupe key) runs is kept, so a change made during a run is picked
-- up by a run after it; only queued twins are folded together. Claiming skips a job whose twin is
-- running (see the claim in store/src/sql/jobs.rs), found through the second index.
DROP INDEX jobs_dedupe;
CREATE UNIQUE INDEX jobs_dedupe_queued ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL AND status = 'queued';
CREATE INDEX jobs_dedupe_running ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL AND status = 'running';

-- Each add through a rotating channel code moves it on once: the add (customer, staff member and the
-- time the relationship started) is recorded with the step, in the same transaction, so a re-run or a
-- stale callback finds it and does not move the code again.
CREATE TABLE channel_rotations (
    code_id     BIGINT NOT NULL REFERENCES channel_codes (id),
    add_key     TEXT   NOT NULL,
    staff_id    BIGINT NOT NULL REFERENCES staff (id),
    rotated_at  BIGINT NOT NULL,
    PRIMARY KEY (code_id, add_key)
);
