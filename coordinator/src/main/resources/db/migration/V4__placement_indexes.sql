-- idlegrid coordinator schema, version 4: indexes for the placement rule and for deciding units.
--
-- The placement rule ("never the same device, owner or network on one unit") is asked once per
-- candidate unit on every work poll, as three index probes, one per index below (a probe by
-- unit alone would read every check on a unit used as a known answer). V2 rebuilt the
-- assignments table without the (owner_key, unit_id) index of V1; it is restored here.
CREATE INDEX assignments_device_unit ON assignments (device_id, unit_id);
CREATE INDEX IF NOT EXISTS assignments_owner_unit ON assignments (owner_key, unit_id);
CREATE INDEX assignments_network_unit ON assignments (network, unit_id) WHERE network IS NOT NULL;

-- A unit used as a known answer collects one KNOWN_ANSWER assignment per check (thousands in a
-- large fleet). Only a check returned and not yet graded matters to the unit (it is graded
-- next); checks still out or already graded never change a decision, so the validator and the
-- transitioner read a unit's assignments through this index, which leaves them out.
CREATE INDEX assignments_deciding ON assignments (unit_id)
  WHERE kind <> 'KNOWN_ANSWER' OR (state = 'RETURNED' AND outcome IS NULL);

-- Backup replicas look for straggling units: IN_PROGRESS, every replica issued (needed 0), and
-- the newest replica still out issued long enough ago. units.last_issued_at is that time (NULL
-- while none is out), kept by the store whenever a replica is issued, returned or ended, so
-- that an idle poll reads the stragglers oldest first from this index instead of grouping
-- every assignment out.
ALTER TABLE units ADD COLUMN last_issued_at INTEGER;
UPDATE units SET last_issued_at = (SELECT MAX(a.issued_at) FROM assignments a WHERE a.unit_id = units.id
  AND a.state = 'ISSUED' AND a.kind <> 'KNOWN_ANSWER');
CREATE INDEX units_straggling ON units (last_issued_at) WHERE state = 'IN_PROGRESS' AND needed = 0;
