-- idlegrid coordinator schema, version 6: an index of fresh units. No new state.
--
-- Under the trusted-peer rule an untrusted device may take a unit only if nobody holds it yet or
-- a trusted device does. Units waiting for a second replica that only a trusted device may take
-- collect at the front of units_dispatch (they are older than the fresh ones), and the dispatch
-- query walked past every one of them, with its probes, on every poll of an untrusted device:
-- at 100,000 devices and 1,000,000 units the simulator slowed to a crawl once enough of the
-- fleet was trusted. Such a device now looks at fresh (PENDING) units first, from this index,
-- and walks units_dispatch only when there are none.
CREATE INDEX units_fresh ON units (priority DESC, job_seq, idx) WHERE needed > 0 AND state = 'PENDING';
