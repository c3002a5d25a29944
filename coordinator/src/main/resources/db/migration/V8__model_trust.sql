-- idlegrid coordinator schema, version 8: trust per device AND per model. No new state.
--
-- A device's streak (devices.trust_streak) says how far its results were verified, on any model;
-- device_models.streak counts the same for one model. A unit is taken on trust only by a device
-- trusted on the device streak and on the unit's model's streak, and its spot-check probability
-- follows the model's streak: trust earned on a cheap model does not buy unchecked results of
-- another. Any failed check of the device resets every one of its model streaks (a device caught
-- lying is trusted on nothing). Rows appear with a device's first verified result of a model;
-- devices enrolled before version 8 start every model at 0 (they earn trust again, per model).
CREATE TABLE device_models (
  device_id TEXT NOT NULL REFERENCES devices (id),
  model_id  TEXT NOT NULL,
  streak    INTEGER NOT NULL DEFAULT 0 CHECK (streak >= 0),
  PRIMARY KEY (device_id, model_id)
) WITHOUT ROWID;
