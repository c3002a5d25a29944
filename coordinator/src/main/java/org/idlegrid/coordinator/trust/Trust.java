package org.idlegrid.coordinator.trust;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.random.RandomGenerator;
import org.idlegrid.coordinator.store.AssignmentKind;
import org.idlegrid.coordinator.store.AssignmentOutcome;
import org.idlegrid.coordinator.store.AssignmentState;
import org.idlegrid.coordinator.store.DeviceState;
import org.idlegrid.coordinator.store.JobState;
import org.idlegrid.coordinator.store.LedgerReason;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.Store;
import org.idlegrid.coordinator.store.UnitAcceptance;
import org.idlegrid.coordinator.store.UnitState;

/**
 * Trust, its consequences and credit. Every method runs inside the caller's transaction, so a
 * verdict, its trust change, its credit and any re-verification it causes commit together.
 *
 * <p>Invariants:
 * <ul>
 *   <li><b>Streak</b>: +1 for each result verified by comparison (it agreed with a quorum of at
 *       least two devices, or with a known answer); reset to 0 by any INVALID verdict. Results
 *       accepted on trust never raise it, so trust cannot feed itself.</li>
 *   <li><b>Conviction</b> (any INVALID verdict, a failed known-answer check, quarantine): every
 *       VALID vote the device holds on a VALID unit is WITHDRAWN, its credit reversed, and the unit
 *       re-opened (VALID → IN_PROGRESS, canonical cleared, the job back from COMPLETED to RUNNING)
 *       with as many replicas as the remaining votes lack. This covers results accepted on trust
 *       (the unit goes back to replicated) and results that won a quorum with a colluder. It
 *       withdraws <em>all</em> such votes, not only those since the last passed check: a passed
 *       check says nothing about an intermittent cheater's earlier results.</li>
 *   <li>An ON_TRUST assignment that ends without a result, or whose device is convicted before
 *       it returns, turns its unit back into ordinary replicated work.</li>
 *   <li><b>Credit</b>: granted only with a VALID verdict, as ledger rows; reversed by a ledger row
 *       when the vote is withdrawn or regraded; devices.credit is the running sum.</li>
 * </ul>
 */
public final class Trust {
  private final TrustPolicy policy;
  private final RandomGenerator random;
  private final Clock clock;
  private final Runnable workAvailable;
  private long countedAt = Long.MIN_VALUE;
  private int activeDevices;
  private int trustedDevices;

  public Trust(TrustPolicy policy, RandomGenerator random, Clock clock, Runnable workAvailable) {
    this.policy = policy;
    this.random = random;
    this.clock = clock;
    this.workAvailable = workAvailable;
  }

  public TrustPolicy policy() {
    return policy;
  }

  private Instant now() {
    return Instant.ofEpochMilli(clock.millis());
  }

  // ------------------------------------------------------------------ scheduling decisions

  /**
   * The most units (or audits) left for a job to be in its endgame as far as the fleet goes:
   * {@link TrustPolicy#endgameShare} of the ACTIVE devices (recounted at most every 10 s of
   * clock time), so that nearly every device is idle.
   */
  public synchronized long endgameUnits(Store.Tx tx) {
    count(tx);
    return (long) (policy.endgameShare() * activeDevices);
  }

  /** Is the rule "an untrusted device's result is cross-checked by a trusted one" in force? */
  public synchronized boolean peerRuleActive(Store.Tx tx) {
    if (policy.trustedPeerShare() <= 0) {
      return false;
    }
    count(tx);
    return activeDevices > 0 && trustedDevices >= policy.trustedPeerShare() * activeDevices;
  }

  /**
   * Does a quorum of strangers need one agreeing result more ({@link TrustPolicy#vouchStreak})?
   * Not in a fleet of fewer than {@link TrustPolicy#STRANGER_RULE_MIN_FLEET} active devices: there
   * the extra result may have no device of another owner and network to come from, and the
   * unit would wait for ever.
   */
  public synchronized boolean strangerRuleActive(Store.Tx tx) {
    if (policy.vouchStreak() <= 0) {
      return false;
    }
    count(tx);
    return activeDevices >= TrustPolicy.STRANGER_RULE_MIN_FLEET;
  }

  // the fleet changes slowly: recounted at most every 10 s of clock time
  private void count(Store.Tx tx) {
    long now = clock.millis();
    // (the first call always counts: now - Long.MIN_VALUE overflows to a negative number)
    if (countedAt == Long.MIN_VALUE || now - countedAt >= 10_000 || now < countedAt) {
      int[] counts = tx.countActiveAndTrusted(policy.trustThreshold());
      activeDevices = counts[0];
      trustedDevices = counts[1];
      countedAt = now;
    }
  }

  /** What a trusted device's fresh unit becomes. */
  public enum Draw { ON_TRUST, SPOT_CHECK_REPLICA, SPOT_CHECK_KNOWN_ANSWER }

  public synchronized Draw draw(int streak) {
    double p = policy.spotCheckProbability(streak);
    if (random.nextDouble() >= p) {
      return Draw.ON_TRUST;
    }
    return random.nextDouble() < policy.knownAnswerShare() ? Draw.SPOT_CHECK_KNOWN_ANSWER : Draw.SPOT_CHECK_REPLICA;
  }

  public synchronized double nextDouble() {
    return random.nextDouble();
  }

  public synchronized int nextInt(int bound) {
    return random.nextInt(bound);
  }

  /** Makes a unit one accepted on trust: nobody else gets a replica, quorum 1. */
  public static void acceptOnTrust(Store.Tx tx, Rows.Unit unit) {
    tx.setNeeded(unit.id(), 0);
    tx.setUnitAcceptance(unit.id(), 1, UnitAcceptance.ON_TRUST);
  }

  /**
   * An assignment ended without a result (timeout, abort, ban, quarantine): its unit gets the
   * replica back; an ON_TRUST unit becomes ordinary replicated work again; a known-answer check
   * needs nothing.
   */
  public static void replicaLost(Store.Tx tx, Rows.Assignment a) {
    if (a.kind() == AssignmentKind.KNOWN_ANSWER) {
      return;
    }
    Rows.Unit unit = tx.unit(a.unitId()).orElseThrow();
    if (unit.state() != UnitState.IN_PROGRESS && unit.state() != UnitState.VALIDATING) {
      return;
    }
    if (unit.acceptance() == UnitAcceptance.ON_TRUST) {
      if (tx.assignmentsToDecide(unit.id()).stream().anyMatch(x -> x.kind() == AssignmentKind.ON_TRUST
          && x.state() == AssignmentState.ISSUED)) {
        return; // a backup replica on trust is still out and completes the unit alone
      }
      Rows.Job job = tx.job(unit.jobId()).orElseThrow();
      tx.setUnitAcceptance(unit.id(), null, UnitAcceptance.REPLICATED);
      tx.setNeeded(unit.id(), job.replicas());
    } else {
      tx.addReplicaSlots(unit.id(), 1, List.of(UnitState.IN_PROGRESS, UnitState.VALIDATING));
    }
  }

  // ------------------------------------------------------------------ verdicts

  /**
   * A result of model {@code modelId} agreed with at least one other device's (or a known
   * answer): streak + 1, on the device and on the model; risk halved.
   */
  public void passed(Store.Tx tx, String deviceId, String modelId) {
    tx.trustPassed(deviceId, now(), policy.trustThreshold());
    tx.modelPassed(deviceId, modelId);
    tx.halveRisk(deviceId);
  }

  /**
   * Audit {@code auditId} agreed with the device's result on trust: streak + 1; its risk was
   * halved already when the audit was issued ({@link Store.Tx#insertAssignment}), or is halved
   * now if the audit had been written off as a straggler.
   */
  public void passedAudit(Store.Tx tx, String auditId, String holderId, String modelId) {
    tx.trustPassed(holderId, now(), policy.trustThreshold());
    tx.modelPassed(holderId, modelId);
    tx.auditPassed(auditId, holderId);
  }

  /** A result was judged INVALID (by a quorum, a spot check or a known answer): reset, convict, maybe quarantine. */
  public void failed(Store.Tx tx, String deviceId, String why) {
    tx.trustReset(deviceId, now());
    withdrawVotes(tx, deviceId);
    maybeQuarantine(tx, deviceId);
  }

  /** An assignment errored or timed out. */
  public void failure(Store.Tx tx, String deviceId, boolean timedOut) {
    tx.addDeviceFailures(deviceId, timedOut ? 0 : 1, timedOut ? 1 : 0);
    maybeQuarantine(tx, deviceId);
  }

  /** Quarantines the device if its invalid or failure rate passed the threshold; true if it did now. */
  public boolean maybeQuarantine(Store.Tx tx, String deviceId) {
    Rows.QuarantineCounts d = tx.quarantineCounts(deviceId).orElse(null);
    if (d == null || d.state() != DeviceState.ACTIVE) {
      return false;
    }
    String reason = policy.quarantineReason(d.resultsValid(), d.resultsInvalid(), d.resultsReturned(),
        d.resultsErrored(), d.resultsTimedOut());
    if (reason == null || !tx.transitionDevice(deviceId, DeviceState.ACTIVE, DeviceState.QUARANTINED,
        "automatic quarantine: " + reason)) {
      return false;
    }
    Instant now = now();
    for (Rows.Assignment a : tx.issuedAssignmentsOfDevice(deviceId)) {
      if (tx.endAssignment(a.id(), AssignmentState.ABORTED, "device-quarantined", now)) {
        replicaLost(tx, a);
      }
    }
    tx.trustReset(deviceId, now);
    withdrawVotes(tx, deviceId);
    workAvailable.run();
    return true;
  }

  /**
   * A verdict against the device was reversed (INVALID → VALID: the result it lost to was
   * withdrawn). If it is quarantined and its counts no longer pass a quarantine threshold, it
   * was quarantined for verdicts that did not stand: it is released, trust starting again from
   * 0. True if it was released now.
   */
  public boolean maybeRelease(Store.Tx tx, String deviceId) {
    Rows.QuarantineCounts d = tx.quarantineCounts(deviceId).orElse(null);
    if (d == null || d.state() != DeviceState.QUARANTINED || policy.quarantineReason(d.resultsValid(),
        d.resultsInvalid(), d.resultsReturned(), d.resultsErrored(), d.resultsTimedOut()) != null) {
      return false;
    }
    if (!tx.transitionDevice(deviceId, DeviceState.QUARANTINED, DeviceState.ACTIVE,
        "automatic release: the verdicts it was quarantined for were reversed")) {
      return false;
    }
    workAvailable.run();
    return true;
  }

  /**
   * Takes back every VALID vote of the device on a VALID unit and re-opens those units; turns its
   * outstanding ON_TRUST units back into replicated work. Returns how many units were re-opened.
   */
  public int withdrawVotes(Store.Tx tx, String deviceId) {
    int reopened = 0;
    for (Rows.Assignment a : tx.issuedAssignmentsOfDevice(deviceId)) {
      if (a.kind() == AssignmentKind.ON_TRUST) {
        Rows.Unit unit = tx.unit(a.unitId()).orElseThrow();
        if (unit.acceptance() == UnitAcceptance.ON_TRUST && unit.state() == UnitState.IN_PROGRESS) {
          Rows.Job job = tx.job(unit.jobId()).orElseThrow();
          tx.setUnitAcceptance(unit.id(), null, UnitAcceptance.REPLICATED);
          tx.setNeeded(unit.id(), job.replicas() - 1);
          reopened++;
        }
      }
    }
    for (Rows.Assignment a : tx.validVotesOfDevice(deviceId)) {
      if (!tx.regradeAssignment(a.id(), AssignmentOutcome.VALID, AssignmentOutcome.WITHDRAWN)) {
        continue;
      }
      double reversed = reverseCredit(tx, a);
      tx.addDeviceCounts(deviceId, 0, -1, 0, -reversed);
      if (reopen(tx, a.unitId())) {
        reopened++;
      }
    }
    if (reopened > 0) {
      workAvailable.run();
    }
    return reopened;
  }

  /**
   * An audit disagreed with a unit accepted on trust: the unit is re-opened (canonical cleared,
   * the job back to RUNNING) with {@code needed} replicas to ask for (at least one); the next
   * decision, by quorum, grades both and convicts the loser.
   */
  public void auditDisagreed(Store.Tx tx, String unitId, int needed) {
    if (reopen(tx, unitId, Math.max(1, needed))) {
      workAvailable.run();
    }
  }

  /** Re-opens a VALID unit whose canonical class lost a vote. */
  private boolean reopen(Store.Tx tx, String unitId) {
    return reopen(tx, unitId, -1);
  }

  private boolean reopen(Store.Tx tx, String unitId, int neededOrMinusOne) {
    Rows.Unit unit = tx.unit(unitId).orElseThrow();
    if (unit.state() != UnitState.VALID) {
      return false;
    }
    Rows.Job job = tx.job(unit.jobId()).orElseThrow();
    if (job.state() != JobState.RUNNING && job.state() != JobState.COMPLETED) {
      return false; // a failed or cancelled job's results are not served; nothing to recompute
    }
    long remaining = tx.assignmentsToDecide(unitId).stream()
        .filter(x -> x.kind() != AssignmentKind.KNOWN_ANSWER && x.outcome() == AssignmentOutcome.VALID).count();
    int needed = neededOrMinusOne >= 0 ? neededOrMinusOne : (int) Math.max(1, job.quorum() - remaining);
    if (!tx.reopenUnit(unitId, needed)) {
      return false;
    }
    tx.removeValidUnit(job.id());
    tx.transitionJob(job.id(), JobState.COMPLETED, JobState.RUNNING, now(), null);
    return true;
  }

  // ------------------------------------------------------------------ credit

  /** Grants {@code amount} for a VALID verdict: a ledger row and the device's running sum. */
  public void grant(Store.Tx tx, Rows.Assignment a, double amount) {
    if (amount <= 0 || !Double.isFinite(amount)) {
      return;
    }
    tx.insertLedger(new Rows.LedgerEntry(0, a.deviceId(), a.ownerKey(), a.unitId(), a.id(), amount,
        LedgerReason.VALIDATED, now()));
  }

  /** Reverses whatever the assignment holds; returns the amount taken back. */
  public double reverseCredit(Store.Tx tx, Rows.Assignment a) {
    double held = tx.creditOfAssignment(a.id());
    if (held != 0) {
      tx.insertLedger(new Rows.LedgerEntry(0, a.deviceId(), a.ownerKey(), a.unitId(), a.id(), -held,
          LedgerReason.REVERSED, now()));
    }
    return held;
  }
}
