-- An administrator's end of a hand-over's rest (services::handover::end_rest): once set, its job asks
-- WeCom to transfer no one again, and a customer recorded as asked whom WeCom never saw is cancelled
-- rather than asked again.
ALTER TABLE handovers ADD COLUMN ended_at INTEGER;
