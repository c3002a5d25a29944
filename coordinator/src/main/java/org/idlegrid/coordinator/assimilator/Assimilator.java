package org.idlegrid.coordinator.assimilator;

import java.time.Clock;
import java.time.Instant;
import org.idlegrid.coordinator.store.JobState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.Store;

/**
 * Turns validated units into job results, inside the validator's transaction: the canonical
 * outputs are stored with the unit (the results endpoint reads them in unit order, which is
 * input order); the job is COMPLETED when its last unit turns VALID and FAILED as soon as one
 * unit FAILED. The job counter {@code units_valid} is only bumped here, right after the guarded
 * VALIDATING → VALID transition, so it is counted once even across restarts.
 */
public final class Assimilator {
  private final Clock clock;

  public Assimilator(Clock clock) {
    this.clock = clock;
  }

  public void unitValid(Store.Tx tx, Rows.Unit unit, String canonicalJson) {
    tx.setCanonical(unit.id(), canonicalJson);
    if (tx.addValidUnit(unit.jobId())) {
      tx.transitionJob(unit.jobId(), JobState.RUNNING, JobState.COMPLETED, Instant.ofEpochMilli(clock.millis()), null);
    }
  }

  public void unitFailed(Store.Tx tx, Rows.Unit unit) {
    tx.transitionJob(unit.jobId(), JobState.RUNNING, JobState.FAILED, Instant.ofEpochMilli(clock.millis()),
        "unit " + unit.idx() + " (records " + unit.recordStart() + ".." + (unit.recordEnd() - 1)
            + ") reached no quorum within maxReplicas");
  }
}
