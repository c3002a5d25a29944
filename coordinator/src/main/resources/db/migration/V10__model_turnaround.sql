-- idlegrid coordinator schema, version 10: a model's typical turnaround. No new state.
--
-- model_costs.ms_per_record is what devices report as their compute time (the smoothed median of
-- agreeing replicas): it prices credit. For a model of a millisecond a unit, the network and the
-- queue are most of a unit's turnaround, and waits timed by compute alone fire far too early (a
-- backup after 1 ms, a unit "straggling" while its answer is on the wire). turnaround_ms_per_record
-- is the same median of what the coordinator observed (result received - assignment issued), per
-- record; the scheduling waits (backups, overdue units, stragglers in a dispute, a device's pace)
-- use the larger of the two. NULL until a unit of the model is decided by two agreeing results.
ALTER TABLE model_costs ADD COLUMN turnaround_ms_per_record REAL;
