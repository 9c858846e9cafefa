-- A job's latest row by its dedupe key, whatever its status: a hand-over's page shows how its job
-- stopped (failed, gave up) without scanning the queue's history.
CREATE INDEX jobs_dedupe_latest ON jobs (dedupe_key, id) WHERE dedupe_key IS NOT NULL;
