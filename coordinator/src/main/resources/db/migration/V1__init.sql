-- idlegrid coordinator schema, version 1.
-- Every state column mirrors one Java enum in org.idlegrid.coordinator.store by a CHECK
-- constraint; times are epoch milliseconds (INTEGER) so that deadlines compare cheaply.
-- Every state change is a conditional UPDATE ... WHERE state = ? checked by its row count.

CREATE TABLE api_keys (
  name        TEXT PRIMARY KEY,
  key_hash    TEXT NOT NULL UNIQUE,          -- sha256 hex of the key; the key itself is never stored
  role        TEXT NOT NULL CHECK (role IN ('SUBMITTER', 'ADMIN')),
  created_at  INTEGER NOT NULL
);

CREATE TABLE enrollment_tokens (
  token_hash  TEXT PRIMARY KEY,
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  used_at     INTEGER,
  used_by     TEXT
);

CREATE TABLE devices (
  id             TEXT PRIMARY KEY,
  token_hash     TEXT NOT NULL UNIQUE,
  public_key     TEXT NOT NULL,
  name           TEXT,
  owner          TEXT,
  owner_key      TEXT NOT NULL,             -- owner, or "device:<id>" for an owner-less device
  platform       TEXT,
  engines        TEXT,
  state          TEXT NOT NULL CHECK (state IN ('ACTIVE', 'QUARANTINED', 'BANNED')),
  state_reason   TEXT,
  enrolled_at    INTEGER NOT NULL,
  last_seen      INTEGER,
  results_returned INTEGER NOT NULL DEFAULT 0,
  results_valid    INTEGER NOT NULL DEFAULT 0,
  results_invalid  INTEGER NOT NULL DEFAULT 0,
  credit           REAL NOT NULL DEFAULT 0
);

CREATE TABLE models (
  id          TEXT PRIMARY KEY,              -- sha256:<hex>
  name        TEXT NOT NULL,
  engine      TEXT NOT NULL,
  bytes       INTEGER NOT NULL,
  format      TEXT NOT NULL CHECK (format IN ('ONNX', 'DJL_ARCHIVE', 'TORCHSCRIPT')),
  input_spec  TEXT NOT NULL,                 -- JSON, see org.idlegrid.coordinator.model.InputSpec
  owner       TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);

-- names point at model ids; the newest upload under a name wins
CREATE TABLE model_names (
  name        TEXT NOT NULL,
  model_id    TEXT NOT NULL REFERENCES models (id),
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (name, model_id)
);

-- who uploaded which blob (a submitter may read back what it uploaded)
CREATE TABLE uploads (
  blob        TEXT NOT NULL,                 -- 64 hex
  owner       TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('MODEL', 'FILE', 'INPUT')),
  records     INTEGER,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (blob, owner, kind)
);

CREATE TABLE jobs (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  owner         TEXT NOT NULL,
  name          TEXT,
  model_id      TEXT NOT NULL REFERENCES models (id),
  input_blob    TEXT NOT NULL,
  record_count  INTEGER NOT NULL CHECK (record_count > 0),
  unit_size     INTEGER NOT NULL CHECK (unit_size > 0),
  priority      INTEGER NOT NULL,
  replicas      INTEGER NOT NULL CHECK (replicas >= 1),
  quorum        INTEGER NOT NULL CHECK (quorum >= 1 AND quorum <= replicas),
  max_replicas  INTEGER NOT NULL CHECK (max_replicas >= replicas),
  compare       TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED')),
  units_total   INTEGER NOT NULL DEFAULT 0,  -- maintained by insertUnits
  units_valid   INTEGER NOT NULL DEFAULT 0,  -- +1 in the transaction of each guarded VALIDATING -> VALID
  created_at    INTEGER NOT NULL,
  finished_at   INTEGER,
  error         TEXT
);
CREATE INDEX jobs_by_owner ON jobs (owner, seq);

CREATE TABLE units (
  id            TEXT PRIMARY KEY,
  job_id        TEXT NOT NULL REFERENCES jobs (id),
  idx           INTEGER NOT NULL,
  record_start  INTEGER NOT NULL,
  record_end    INTEGER NOT NULL CHECK (record_end > record_start),
  byte_start    INTEGER NOT NULL,
  byte_end      INTEGER NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('PENDING', 'IN_PROGRESS', 'VALIDATING', 'VALID', 'FAILED')),
  priority      INTEGER NOT NULL,            -- copied from the job: the dispatch index needs it
  job_seq       INTEGER NOT NULL,            -- the job's age, for "oldest first"
  model_id      TEXT NOT NULL,
  needed        INTEGER NOT NULL CHECK (needed >= 0),   -- replicas still to issue
  canonical     TEXT,                        -- JSON array of the canonical outputs once VALID
  UNIQUE (job_id, idx)
);
CREATE INDEX units_dispatch ON units (priority DESC, job_seq, idx) WHERE needed > 0;
CREATE INDEX units_by_state ON units (state) WHERE state = 'VALIDATING';

CREATE TABLE assignments (
  id           TEXT PRIMARY KEY,
  unit_id      TEXT NOT NULL REFERENCES units (id),
  job_id       TEXT NOT NULL,
  device_id    TEXT NOT NULL REFERENCES devices (id),
  owner_key    TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('ISSUED', 'RETURNED', 'ERRORED', 'ABORTED', 'TIMED_OUT')),
  outcome      TEXT CHECK (outcome IS NULL OR (state = 'RETURNED' AND outcome IN ('VALID', 'INVALID', 'INCONCLUSIVE'))),
  issued_at    INTEGER NOT NULL,
  deadline     INTEGER NOT NULL,
  finished_at  INTEGER,
  outputs      TEXT,
  elapsed_ms   INTEGER,
  energy_j     REAL,
  reason       TEXT
);
CREATE INDEX assignments_by_unit ON assignments (unit_id);
CREATE INDEX assignments_by_device ON assignments (device_id, state);
CREATE INDEX assignments_owner_unit ON assignments (owner_key, unit_id);
CREATE INDEX assignments_deadline ON assignments (deadline) WHERE state = 'ISSUED';
CREATE INDEX assignments_ungraded ON assignments (unit_id) WHERE state = 'RETURNED' AND outcome IS NULL;
CREATE INDEX assignments_by_job ON assignments (job_id, state);
