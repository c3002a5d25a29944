-- idlegrid coordinator schema, version 2: trust, placement, adaptive replication, credit ledger.
-- See docs/verification.md for the design; the states added here mirror Java enums in
-- org.idlegrid.coordinator.store (AssignmentKind, AssignmentOutcome, UnitAcceptance, LedgerReason).

-- Per-device trust state. trust_streak counts consecutive results verified by comparison
-- (quorum agreement with another device, or a known-answer check); results accepted on trust
-- do not raise it. A device is trusted while trust_streak >= the configured threshold.
ALTER TABLE devices ADD COLUMN trust_streak     INTEGER NOT NULL DEFAULT 0 CHECK (trust_streak >= 0);
ALTER TABLE devices ADD COLUMN trusted_since    INTEGER;           -- when the streak reached the threshold
ALTER TABLE devices ADD COLUMN last_check_at    INTEGER;           -- last result verified by comparison
ALTER TABLE devices ADD COLUMN last_failed_at   INTEGER;           -- last failed check (trust reset)
ALTER TABLE devices ADD COLUMN checks_failed    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN results_errored  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN results_timed_out INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN network          TEXT;              -- "v4:a.b.c.0/24" or "v6:xxxx:xxxx:xxxx::/48"; NULL = unknown
ALTER TABLE devices ADD COLUMN engine_versions  TEXT;              -- JSON object engine -> version
ALTER TABLE devices ADD COLUMN platform_class   TEXT;              -- homogeneous-redundancy class
CREATE INDEX devices_by_state ON devices (state);

-- Per-job verification switches (verification.adaptive, verification.homogeneous).
ALTER TABLE jobs ADD COLUMN adaptive    INTEGER NOT NULL DEFAULT 1 CHECK (adaptive IN (0, 1));
ALTER TABLE jobs ADD COLUMN homogeneous INTEGER NOT NULL DEFAULT 0 CHECK (homogeneous IN (0, 1));

-- Per-unit: a quorum override (1 while accepted on trust), how it was accepted, its
-- homogeneous-redundancy class (pinned by its first replica).
ALTER TABLE units ADD COLUMN quorum     INTEGER CHECK (quorum IS NULL OR quorum >= 1);
ALTER TABLE units ADD COLUMN acceptance TEXT NOT NULL DEFAULT 'REPLICATED' CHECK (acceptance IN ('REPLICATED', 'ON_TRUST'));
ALTER TABLE units ADD COLUMN hr_class   TEXT;
CREATE INDEX units_known_answers ON units (model_id) WHERE state = 'VALID' AND acceptance = 'REPLICATED';
CREATE INDEX units_on_trust ON units (acceptance) WHERE state = 'VALID' AND acceptance = 'ON_TRUST';

-- Assignments are rebuilt: SQLite cannot change a CHECK constraint in place, and the outcome
-- WITHDRAWN (a vote taken back from a convicted device) and three columns are new.
CREATE TABLE assignments_v2 (
  id           TEXT PRIMARY KEY,
  unit_id      TEXT NOT NULL REFERENCES units (id),
  job_id       TEXT NOT NULL,
  device_id    TEXT NOT NULL REFERENCES devices (id),
  owner_key    TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('ISSUED', 'RETURNED', 'ERRORED', 'ABORTED', 'TIMED_OUT')),
  outcome      TEXT CHECK (outcome IS NULL OR (state = 'RETURNED' AND outcome IN ('VALID', 'INVALID', 'INCONCLUSIVE', 'WITHDRAWN'))),
  issued_at    INTEGER NOT NULL,
  deadline     INTEGER NOT NULL,
  finished_at  INTEGER,
  outputs      TEXT,
  elapsed_ms   INTEGER,
  energy_j     REAL,
  reason       TEXT,
  kind         TEXT NOT NULL DEFAULT 'REPLICA' CHECK (kind IN ('REPLICA', 'ON_TRUST', 'KNOWN_ANSWER', 'AUDIT')),
  network      TEXT,                         -- the device's network prefix when issued
  trusted      INTEGER NOT NULL DEFAULT 0 CHECK (trusted IN (0, 1))   -- the device was trusted when issued
);
INSERT INTO assignments_v2 (id, unit_id, job_id, device_id, owner_key, state, outcome, issued_at, deadline,
    finished_at, outputs, elapsed_ms, energy_j, reason)
  SELECT id, unit_id, job_id, device_id, owner_key, state, outcome, issued_at, deadline, finished_at, outputs,
    elapsed_ms, energy_j, reason FROM assignments;
DROP TABLE assignments;
ALTER TABLE assignments_v2 RENAME TO assignments;
CREATE INDEX assignments_by_unit ON assignments (unit_id);
CREATE INDEX assignments_by_device ON assignments (device_id, state);
CREATE INDEX assignments_votes ON assignments (device_id, outcome) WHERE outcome = 'VALID';
CREATE INDEX assignments_deadline ON assignments (deadline) WHERE state = 'ISSUED';
CREATE INDEX assignments_ungraded ON assignments (unit_id) WHERE state = 'RETURNED' AND outcome IS NULL;
CREATE INDEX assignments_by_job ON assignments (job_id, state);

-- Credit: one row per grant or reversal; devices.credit is the running sum per device.
CREATE TABLE credit_ledger (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id    TEXT NOT NULL REFERENCES devices (id),
  owner_key    TEXT NOT NULL,
  unit_id      TEXT NOT NULL,
  assignment_id TEXT NOT NULL,
  amount       REAL NOT NULL,
  reason       TEXT NOT NULL CHECK (reason IN ('VALIDATED', 'REVERSED')),
  at           INTEGER NOT NULL
);
CREATE INDEX credit_by_assignment ON credit_ledger (assignment_id);
CREATE INDEX credit_by_owner ON credit_ledger (owner_key);

-- The measured cost of a model: milliseconds per record, the median of agreeing replicas of
-- replicated units, smoothed over units (a device's own claim never sets it alone).
CREATE TABLE model_costs (
  model_id      TEXT PRIMARY KEY,
  ms_per_record REAL NOT NULL CHECK (ms_per_record >= 0),
  samples       INTEGER NOT NULL
);
