-- An approval binds what the reviewer weighed (issue 17 §2–3, security review). `revision` counts every
-- write to a version (an edit, a step): a reviewer's approval names the revision they read and is
-- refused if the author withdrew, changed and resubmitted it since (a timestamp could not tell: two
-- writes can fall in one millisecond). `override_findings` holds the blocking findings
-- an override reason covered, one `rule@start-end` per line. Publishing refuses any blocking finding
-- not among them, so an override given for one claim never lets a claim found later (HQ's list grew)
-- go out unreviewed. Reviewed words never change, so a finding's place identifies it.
ALTER TABLE content_versions ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE content_versions ADD COLUMN override_findings TEXT NOT NULL DEFAULT '';
