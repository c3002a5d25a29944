-- idlegrid coordinator schema, version 11: the running jobs, indexed. No new state.
--
-- An idle poll and a long poll's "is there work?" ask whether some RUNNING job is in its endgame
-- (at most TrustPolicy.endgameShare of its units not yet valid): then backups and the write-off
-- of straggling audits wait less. The jobs table keeps every job ever submitted; this index holds
-- only the running ones, so the question reads a handful of rows however many jobs have ended.
CREATE INDEX jobs_running ON jobs (seq) WHERE state = 'RUNNING';
