-- idlegrid coordinator schema, version 5: closing audits (docs/verification.md, "Risk and
-- closing audits"). No new state; two derived columns.
--
-- devices.on_trust_risk: how much of the device's work rests on trust alone. +1 when the
-- validator accepts one of its results on trust; halved when it passes a check; halved when an
-- audit of one of its units is issued (as if it will pass: idle devices then spread their
-- audits over the risky devices) and doubled back if that audit is lost; 0 on conviction.
-- It is the sum, over the device's results on trust, of 2^-(checks it passed after that result),
-- so it bounds, for every moment the device may have started cheating, the number of results on
-- trust since then discounted by the checks since then.
ALTER TABLE devices ADD COLUMN on_trust_risk REAL NOT NULL DEFAULT 0 CHECK (on_trust_risk >= 0);
UPDATE devices SET on_trust_risk = (SELECT COUNT(*) FROM assignments a JOIN units u ON u.id = a.unit_id
  WHERE a.device_id = devices.id AND a.kind = 'ON_TRUST' AND a.outcome = 'VALID' AND u.state = 'VALID'
  AND u.acceptance = 'ON_TRUST'
  AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.unit_id = u.id AND x.kind = 'AUDIT'));
CREATE INDEX devices_risk ON devices (on_trust_risk) WHERE on_trust_risk > 0;

-- jobs.verifying_since: when every unit of a RUNNING job was VALID but devices holding its
-- results on trust were still over the risk budget; the job completes once they are not (or
-- after the longest wait), see Assimilator.
ALTER TABLE jobs ADD COLUMN verifying_since INTEGER;
CREATE INDEX jobs_verifying ON jobs (verifying_since) WHERE verifying_since IS NOT NULL;

-- assignments.written_off: an audit still out that straggles (out longer than a backup replica
-- would wait) is written off: its holder gets back the risk halved when it was issued, so that
-- another idle device audits another of its results, and the job stops waiting for it. If it
-- returns after all, it counts like any passed (or failed) check.
ALTER TABLE assignments ADD COLUMN written_off INTEGER NOT NULL DEFAULT 0 CHECK (written_off IN (0, 1));
CREATE INDEX assignments_audits_out ON assignments (issued_at) WHERE state = 'ISSUED' AND kind = 'AUDIT'
  AND written_off = 0;
