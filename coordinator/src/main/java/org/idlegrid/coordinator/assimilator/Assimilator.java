package org.idlegrid.coordinator.assimilator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.idlegrid.coordinator.store.JobState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.Store;
import org.idlegrid.coordinator.trust.Trust;
import org.idlegrid.coordinator.trust.TrustPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns validated units into job results, inside the validator's transaction: the canonical
 * outputs are stored with the unit (the results endpoint reads them in unit order, which is
 * input order); the job is FAILED as soon as one unit FAILED, and COMPLETED when its last unit
 * turns VALID — unless devices holding its results on trust are over the risk budget
 * ({@link TrustPolicy#riskBudget}): then the job stays RUNNING, marked as verifying, while idle
 * devices run the closing audits, and {@link #releaseVerified} (run by the periodic sweep)
 * completes it once none is over the budget, or after {@code maxWait} at the latest. The job
 * counter {@code units_valid} is only bumped here, right after the guarded VALIDATING → VALID
 * transition, so it is counted once even across restarts.
 */
public final class Assimilator {
  private static final Logger LOG = LoggerFactory.getLogger(Assimilator.class);
  private final Clock clock;
  private final Trust trust;
  private final TrustPolicy policy;
  private final Duration maxWait;
  private final Runnable workAvailable;

  /**
   * @param maxWait the longest a job whose units are all valid waits for closing audits (a fleet
   *     too small or too busy to audit must not hold a job forever)
   * @param workAvailable called when a job starts waiting for closing audits (idle devices have
   *     audits to do)
   */
  public Assimilator(Clock clock, Trust trust, Duration maxWait, Runnable workAvailable) {
    this.clock = clock;
    this.trust = trust;
    this.policy = trust.policy();
    this.maxWait = maxWait;
    this.workAvailable = workAvailable;
  }

  private Instant now() {
    return Instant.ofEpochMilli(clock.millis());
  }

  public void unitValid(Store.Tx tx, Rows.Unit unit, String canonicalJson) {
    tx.setCanonical(unit.id(), canonicalJson);
    if (tx.addValidUnit(unit.jobId())) {
      if (policy.closingAudits() && tx.awaitingClosingAudits(unit.jobId(), policy.riskBudget())) {
        tx.setVerifyingSince(unit.jobId(), now());
        workAvailable.run();
      } else {
        tx.transitionJob(unit.jobId(), JobState.RUNNING, JobState.COMPLETED, now(), null);
      }
    }
  }

  public void unitFailed(Store.Tx tx, Rows.Unit unit) {
    tx.transitionJob(unit.jobId(), JobState.RUNNING, JobState.FAILED, now(),
        "unit " + unit.idx() + " (records " + unit.recordStart() + ".." + (unit.recordEnd() - 1)
            + ") reached no quorum within maxReplicas");
  }

  /** An audit of a unit of the job passed: completes the job if it was waiting for nothing else. */
  public void auditPassed(Store.Tx tx, String jobId) {
    if (tx.verifying(jobId) && !tx.awaitingClosingAudits(jobId, policy.riskBudget())) {
      tx.transitionJob(jobId, JobState.RUNNING, JobState.COMPLETED, now(), null);
    }
  }

  /**
   * Completes the verifying jobs whose closing audits are done or whose wait ran out; returns how
   * many. First writes off the audits that straggle (out longer than a backup replica would wait,
   * {@link TrustPolicy#backupAfter} × the measured time per unit, or a twelfth of the longest wait
   * before anything is measured): their holders' risk comes back, so other idle devices audit
   * other results rather than the job waiting for an auditor that left or is slow.
   *
   * <p>In a job's endgame (which its closing audits always are) that wait is
   * {@link TrustPolicy#endgameWait} × as long, but only while the audits out across the fleet are
   * at most {@link Trust#endgameUnits} ({@link TrustPolicy#endgameShare} of its active devices):
   * then nearly all of the fleet is idle, and an audit written off too soon costs one more audit
   * of a device that had nothing to do, while an auditor that left costs the whole job a wait.
   * Where the fleet is small or busy with closing audits (200 devices, 8,000 units: hundreds of
   * audits at the end), writing them off early only duplicated them, each holder's risk came
   * back, and the job ended later (docs/verification.md, "The endgame").
   */
  public int releaseVerified(Store store) {
    Instant now = now();
    if (policy.closingAudits()) {
      double factor = policy.backupAfter() > 0 ? policy.backupAfter() : 2;
      long fallbackMs = maxWait.toMillis() / 12;
      int written = store.transaction(tx -> {
        int out = tx.auditsOut();
        if (out == 0) {
          return 0;
        }
        long endgameUnits = trust.endgameUnits(tx);
        return tx.writeOffStragglingAudits(now, out <= endgameUnits
            ? new Rows.StraggleWait(factor, fallbackMs, policy.endgameShare(), endgameUnits, policy.endgameWait())
            : Rows.StraggleWait.noEndgame(factor, fallbackMs));
      });
      if (written > 0) {
        workAvailable.run();
      }
    }
    int n = 0;
    for (Map.Entry<String, Instant> e : store.transaction(Store.Tx::jobsVerifying).entrySet()) {
      String jobId = e.getKey();
      boolean waitedEnough = !e.getValue().plus(maxWait).isAfter(now);
      boolean released = store.transaction(tx -> {
        if (!waitedEnough && tx.awaitingClosingAudits(jobId, policy.riskBudget())) {
          return false;
        }
        return tx.transitionJob(jobId, JobState.RUNNING, JobState.COMPLETED, now, null);
      });
      if (released) {
        n++;
        if (waitedEnough) {
          LOG.warn("job {} completed without all its closing audits: waited {}", jobId, maxWait);
        }
      }
    }
    return n;
  }
}
