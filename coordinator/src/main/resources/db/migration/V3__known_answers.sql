-- idlegrid coordinator schema, version 3: known answers supplied by the submitter.
-- See docs/verification.md ("Submitter-supplied known answers").
--
-- Each supplied known answer is a units row of its job that is VALID from the start: idx < 0
-- (so it is never one of the job's units: not counted in units_total, progress or results),
-- needed 0 (never dispatched as work), canonical = [the supplied output], acceptance REPLICATED.
-- Assignments reference units, so a known-answer check on it is an ordinary KNOWN_ANSWER
-- assignment, graded by the validator like a check on a unit validated earlier. The record
-- itself lives here (it is not in the job's input blob).
CREATE TABLE known_answers (
  unit_id     TEXT PRIMARY KEY REFERENCES units (id),
  job_id      TEXT NOT NULL REFERENCES jobs (id),
  model_id    TEXT NOT NULL,
  record      TEXT NOT NULL,               -- the input record (JSON object)
  created_at  INTEGER NOT NULL
);
CREATE INDEX known_answers_by_model ON known_answers (model_id);
CREATE INDEX known_answers_by_job ON known_answers (job_id);
