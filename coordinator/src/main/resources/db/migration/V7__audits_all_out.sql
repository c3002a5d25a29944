-- idlegrid coordinator schema, version 7: holders with nothing left to audit. No new state.
--
-- devices.audits_all_out = 1: every result of the device that rests on trust has an audit out
-- or returned, so an idle poll can audit none of them; its risk (halved in advance for each
-- audit out) may still be over the budget until those audits come back. Such holders sat at the
-- top of devices_risk and every idle poll searched their results for nothing; past the first
-- few, the holders that did have results to audit were never reached. The flag takes them out
-- of devices_risk. It is set by the audit search when it finds a holder so, and cleared whenever
-- the device may have a result to audit again: a result of it accepted on trust, an audit of its
-- units lost or written off, a conviction. It is a hint the store keeps exact: no other event
-- makes a result on trust unaudited.
--
-- The index also gains the search's order, riskiest first and then by id: risks are sums of
-- powers of two, so thousands of devices can share one (0.5, 1), and a search that read the
-- index by risk alone sorted every device of the top risk on every idle poll.
ALTER TABLE devices ADD COLUMN audits_all_out INTEGER NOT NULL DEFAULT 0 CHECK (audits_all_out IN (0, 1));
DROP INDEX devices_risk;
CREATE INDEX devices_risk ON devices (on_trust_risk DESC, id) WHERE on_trust_risk > 0 AND audits_all_out = 0;
