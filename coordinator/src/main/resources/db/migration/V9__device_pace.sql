-- idlegrid coordinator schema, version 9: how fast each device turns work around. No new state.
--
-- devices.pace: the device's observed turnaround (result received - assignment issued) divided by
-- the model's measured time for the unit (model_costs x records), smoothed over its results
-- (each moves it by a quarter). 1 is the fleet's typical device, 2 takes twice as long. NULL until
-- the device returns a result of a measured model. Observed by the coordinator, never claimed by
-- the device: a device can look faster only by returning sooner. A device slower than typical
-- backs up only a straggler that has been out as long as it would take itself (a backup is a
-- race with the straggler).
ALTER TABLE devices ADD COLUMN pace REAL CHECK (pace IS NULL OR pace > 0);
