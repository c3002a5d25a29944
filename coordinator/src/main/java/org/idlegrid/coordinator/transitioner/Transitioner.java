package org.idlegrid.coordinator.transitioner;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.idlegrid.coordinator.assimilator.Assimilator;
import org.idlegrid.coordinator.store.AssignmentKind;
import org.idlegrid.coordinator.store.AssignmentState;
import org.idlegrid.coordinator.store.DeviceState;
import org.idlegrid.coordinator.store.JobState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.Store;
import org.idlegrid.coordinator.store.UnitAcceptance;
import org.idlegrid.coordinator.store.UnitState;
import org.idlegrid.coordinator.trust.Trust;
import org.idlegrid.coordinator.trust.TrustPolicy;

/**
 * Moves assignments out of ISSUED, each move one transaction guarded by
 * {@code WHERE state = 'ISSUED'}:
 * <ul>
 *   <li>a result arrives: ISSUED → RETURNED; when the unit then holds {@code quorum} returned
 *       results it goes IN_PROGRESS → VALIDATING (the validator takes it from there);</li>
 *   <li>the deadline passes ({@link #sweepDeadlines}, run periodically with the injected clock
 *       and at startup): ISSUED → TIMED_OUT, and the unit gets a fresh replica slot; the same
 *       sweep gives an overdue unit one more slot while its replica stays out ({@link #OVERDUE});</li>
 *   <li>the device aborts: ISSUED → ABORTED (ERRORED for a reason starting "error"), fresh slot at
 *       once;</li>
 *   <li>the job is cancelled or the device banned: its ISSUED assignments → ABORTED.</li>
 * </ul>
 * The deadline sweep also completes the jobs whose closing audits are done
 * ({@link Assimilator#releaseVerified}).
 * A new replica slot is only added while the unit still needs results (IN_PROGRESS or
 * VALIDATING); a unit accepted on trust whose only replica is lost becomes ordinary replicated
 * work again ({@link Trust#replicaLost}). Errors and timeouts count against the device and may
 * quarantine it. Whoever adds a slot calls {@code workAvailable} to wake waiting devices.
 */
public final class Transitioner {
  /**
   * A unit whose newest replica out was issued more than this many backup waits ago
   * ({@link TrustPolicy#backupAfter} × the model's wait per unit, {@link Store.Tx#modelWait}) is
   * overdue: the sweep
   * gives it one more replica slot, which the next device to poll takes like any slot, ahead of
   * fresh units of its job. A backup goes only to a device with nothing else to do, so while a job
   * still has fresh units, a replica lost with a device that left would otherwise wait for the
   * job's last fresh unit or its deadline, and its unit ended the job late. Three waits are
   * longer than the slowest devices of the simulated fleet take; the late result still counts.
   * Never before {@link Heartbeats#silentAfter} either: a model's wait is measured from decided
   * units (its compute time, or its typical turnaround, V10), and until then, or for a model of a
   * millisecond a unit, it says little about a lost replica (the dispatch benchmark lost a fifth of
   * its rate to replicas of units "overdue" after 3 ms of compute).
   */
  static final double OVERDUE = 3;
  /** Bounds of one pace sample: a result back at once, or one back hours late, moves a pace only so far. */
  static final double MIN_PACE = 0.05;
  static final double MAX_PACE = 20;
  private final Store store;
  private final Clock clock;
  private final Trust trust;
  private final Assimilator assimilator;
  private final Runnable workAvailable;
  private final Heartbeats heartbeats;

  public Transitioner(Store store, Clock clock, Trust trust, Assimilator assimilator, Runnable workAvailable,
      Heartbeats heartbeats) {
    this.store = store;
    this.clock = clock;
    this.trust = trust;
    this.assimilator = assimilator;
    this.workAvailable = workAvailable;
    this.heartbeats = heartbeats;
  }

  /** Who asks about its work, and who went quiet (fed by the device API, read by the sweep). */
  public Heartbeats heartbeats() {
    return heartbeats;
  }

  private Instant now() {
    return Instant.ofEpochMilli(clock.millis());
  }

  /** Why a result or an abort was not taken. */
  public enum Refusal {
    /** no such assignment, or it is another device's (indistinguishable to the caller) */
    NOT_FOUND,
    /** the assignment is no longer ISSUED; {@link Outcome#state} says what it is */
    NOT_ISSUED
  }

  /**
   * {@code refusal} null means done; {@code unitId} is the assignment's unit. {@code toValidate}:
   * the result left the validator something to do (a quorum to decide, a late result or a
   * known-answer check to grade). A replica returned to a unit still waiting for its quorum leaves
   * nothing; skipping the validator then saves a transaction that reads every replica's outputs.
   */
  public record Outcome(Refusal refusal, AssignmentState state, String unitId, boolean toValidate) {
    static Outcome refused(Refusal refusal, AssignmentState state, String unitId) {
      return new Outcome(refusal, state, unitId, false);
    }

    public boolean done() {
      return refusal == null;
    }
  }

  /** The assignment, if it exists and was issued to {@code deviceId}. */
  public Rows.Assignment assignmentOf(String deviceId, String assignmentId) {
    return store.transaction(tx -> tx.assignment(assignmentId)
        .filter(a -> a.deviceId().equals(deviceId)).orElse(null));
  }

  /** Stores a verified result: ISSUED → RETURNED, and the unit to VALIDATING once it has a quorum of results. */
  public Outcome recordResult(String deviceId, String assignmentId, String outputsJson, long elapsedMs, Double energyJ) {
    Instant now = now();
    return store.transaction(tx -> {
      Rows.Assignment a = tx.assignment(assignmentId).filter(x -> x.deviceId().equals(deviceId)).orElse(null);
      if (a == null) {
        return Outcome.refused(Refusal.NOT_FOUND, null, null);
      }
      if (!tx.recordResult(assignmentId, outputsJson, elapsedMs, energyJ, now)) {
        return Outcome.refused(Refusal.NOT_ISSUED, tx.assignment(assignmentId).orElseThrow().state(), a.unitId());
      }
      Rows.Unit unit = tx.unit(a.unitId()).orElseThrow();
      tx.resultReturned(deviceId, paceSample(tx, a, unit, now));
      // a known-answer check never moves its unit (the validator grades it against the canonical)
      if (a.kind() != AssignmentKind.KNOWN_ANSWER && unit.state() == UnitState.IN_PROGRESS) {
        Rows.Job job = tx.job(a.jobId()).orElseThrow();
        // live results: returned replicas (not known-answer checks) whose vote was not withdrawn
        if (tx.liveResults(unit.id()) >= unit.quorumOr(job.quorum())) {
          tx.transitionUnit(unit.id(), UnitState.IN_PROGRESS, UnitState.VALIDATING);
          return new Outcome(null, AssignmentState.RETURNED, unit.id(), true);
        }
        return new Outcome(null, AssignmentState.RETURNED, unit.id(), false); // waits for its quorum
      }
      return new Outcome(null, AssignmentState.RETURNED, unit.id(), true);
    });
  }

  /**
   * The device's turnaround for this result ÷ the model's wait for the unit (V9, V10; typical is
   * 1), bounded; NaN before the model is measured.
   */
  private static double paceSample(Store.Tx tx, Rows.Assignment a, Rows.Unit unit, Instant now) {
    double expected = tx.modelWait(unit.modelId()).orElse(0.0) * Math.max(1, unit.recordCount());
    if (!(expected > 0)) {
      return Double.NaN;
    }
    double sample = (now.toEpochMilli() - a.issuedAt().toEpochMilli()) / expected;
    return Math.max(MIN_PACE, Math.min(MAX_PACE, sample));
  }

  /** The device gives the assignment back: ABORTED (or ERRORED), and the unit is reissued at once. */
  public Outcome abort(String deviceId, String assignmentId, String reason) {
    Instant now = now();
    AssignmentState to = reason != null && reason.startsWith("error") ? AssignmentState.ERRORED : AssignmentState.ABORTED;
    Outcome out = store.transaction(tx -> {
      Rows.Assignment a = tx.assignment(assignmentId).filter(x -> x.deviceId().equals(deviceId)).orElse(null);
      if (a == null) {
        return Outcome.refused(Refusal.NOT_FOUND, null, null);
      }
      if (!tx.endAssignment(assignmentId, to, reason, now)) {
        return Outcome.refused(Refusal.NOT_ISSUED, tx.assignment(assignmentId).orElseThrow().state(), a.unitId());
      }
      Trust.replicaLost(tx, a);
      if (to == AssignmentState.ERRORED) {
        trust.failure(tx, deviceId, false);
      }
      return new Outcome(null, to, a.unitId(), false);
    });
    if (out.done()) {
      workAvailable.run();
    }
    return out;
  }

  /** Times out every ISSUED assignment whose deadline has passed; returns how many. */
  public int sweepDeadlines() {
    int total = 0;
    while (true) {
      Instant now = now();
      int n = store.transaction(tx -> {
        int count = 0;
        for (Rows.Assignment a : tx.expiredAssignments(now, 500)) {
          if (tx.endAssignment(a.id(), AssignmentState.TIMED_OUT, "deadline passed", now)) {
            Trust.replicaLost(tx, a);
            trust.failure(tx, a.deviceId(), true);
            count++;
          }
        }
        return count;
      });
      total += n;
      if (n < 500) {
        break;
      }
    }
    // devices that stopped asking about their work (Heartbeats): each unit they hold a replica of
    // gets one more slot now, rather than at the replica's deadline
    List<String> silent = heartbeats.silent(clock.millis());
    for (int i = 0; i < silent.size(); i += 200) {
      List<String> page = silent.subList(i, Math.min(silent.size(), i + 200));
      store.transaction(tx -> {
        page.forEach(d -> replaceSilent(tx, d));
        return null;
      });
    }
    double overdue = OVERDUE * trust.policy().backupAfter();
    if (overdue > 0) {
      long atLeast = heartbeats.silentAfter().toMillis();
      while (store.transaction(tx -> tx.reissueOverdue(now(), overdue, atLeast, 500)) == 500) {
        // the next page
      }
    }
    // waiting devices are woken on every sweep, not only when a replica timed out: a unit that
    // straggles (a backup to give) does so by time passing, which no other event announces; a
    // wake with nothing to do costs one cheap check
    workAvailable.run();
    assimilator.releaseVerified(store);
    return total;
  }

  /**
   * The device went silent in the middle of its work: each replicated unit it holds a replica of
   * (in progress, of a running job) gets one more slot, and a unit it holds alone on trust becomes
   * replicated work (as when a trusted holder is convicted, {@link Trust#withdrawVotes}), unless a
   * backup on trust is out with another device. Its replica stays out until its deadline and
   * counts as one of the unit's replicas if it comes. Audits and known-answer checks are not
   * votes anyone waits for.
   */
  private static void replaceSilent(Store.Tx tx, String deviceId) {
    for (Rows.Assignment a : tx.issuedAssignmentsOfDevice(deviceId)) {
      if (a.kind() != AssignmentKind.REPLICA && a.kind() != AssignmentKind.ON_TRUST) {
        continue;
      }
      Rows.Unit unit = tx.unit(a.unitId()).orElse(null);
      Rows.Job job = unit == null ? null : tx.job(unit.jobId()).orElse(null);
      if (job == null || unit.state() != UnitState.IN_PROGRESS || job.state() != JobState.RUNNING) {
        continue;
      }
      if (unit.acceptance() == UnitAcceptance.REPLICATED) {
        tx.addReplicaSlots(unit.id(), 1, List.of(UnitState.IN_PROGRESS));
      } else if (tx.assignmentsToDecide(unit.id()).stream().noneMatch(x -> x.kind() == AssignmentKind.ON_TRUST
          && x.state() == AssignmentState.ISSUED && !x.deviceId().equals(deviceId))) {
        tx.setUnitAcceptance(unit.id(), null, UnitAcceptance.REPLICATED);
        tx.setNeeded(unit.id(), job.replicas() - 1);
      }
    }
  }

  /** Cancels a QUEUED or RUNNING job and aborts its outstanding assignments; false if it was final already. */
  public boolean cancelJob(String jobId) {
    Instant now = now();
    return store.transaction(tx -> {
      boolean cancelled = tx.transitionJob(jobId, JobState.QUEUED, JobState.CANCELLED, now, "cancelled")
          || tx.transitionJob(jobId, JobState.RUNNING, JobState.CANCELLED, now, "cancelled");
      if (cancelled) {
        for (Rows.Assignment a : tx.issuedAssignmentsOfJob(jobId)) {
          tx.endAssignment(a.id(), AssignmentState.ABORTED, "job-cancelled", now);
        }
      }
      return cancelled;
    });
  }

  /** Bans a device: it is refused from now on and its outstanding assignments are reissued. */
  public boolean banDevice(String deviceId, String reason) {
    Instant now = now();
    boolean banned = store.transaction(tx -> {
      boolean done = tx.transitionDevice(deviceId, DeviceState.ACTIVE, DeviceState.BANNED, reason)
          || tx.transitionDevice(deviceId, DeviceState.QUARANTINED, DeviceState.BANNED, reason);
      if (done) {
        for (Rows.Assignment a : tx.issuedAssignmentsOfDevice(deviceId)) {
          if (tx.endAssignment(a.id(), AssignmentState.ABORTED, "device-banned", now)) {
            Trust.replicaLost(tx, a);
          }
        }
        tx.trustReset(deviceId, now);
        trust.withdrawVotes(tx, deviceId);
      }
      return done;
    });
    if (banned) {
      workAvailable.run();
    }
    return banned;
  }

  /** Lets a banned or quarantined device work again. */
  public boolean releaseDevice(String deviceId) {
    return store.transaction(tx -> tx.transitionDevice(deviceId, DeviceState.BANNED, DeviceState.ACTIVE, null)
        || tx.transitionDevice(deviceId, DeviceState.QUARANTINED, DeviceState.ACTIVE, null));
  }
}
