package org.idlegrid.coordinator.validator;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.idlegrid.compare.ComparePolicy;
import org.idlegrid.coordinator.assimilator.Assimilator;
import org.idlegrid.coordinator.store.AssignmentKind;
import org.idlegrid.coordinator.store.AssignmentOutcome;
import org.idlegrid.coordinator.store.AssignmentState;
import org.idlegrid.coordinator.store.DeviceState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.Store;
import org.idlegrid.coordinator.store.UnitAcceptance;
import org.idlegrid.coordinator.store.UnitState;
import org.idlegrid.coordinator.trust.Trust;
import org.idlegrid.coordinator.trust.TrustPolicy;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.CompareSpec;

/**
 * Decides a unit once it holds {@code quorum} live results (state VALIDATING), in one
 * transaction. A live result is a RETURNED replica (not a known-answer check) whose vote was not
 * WITHDRAWN and whose device is not quarantined or banned (those are withdrawn on sight).
 * <ol>
 *   <li>live results are grouped, in the order they arrived, into classes of results equivalent
 *       under the job's {@link ComparePolicy} (a result joins the first class whose first member
 *       it agrees with);</li>
 *   <li>the first class with at least the unit's quorum (the job's, or 1 for a unit accepted on
 *       trust; one more once results disagree, where maxReplicas allows; one more again for a
 *       quorum of strangers, a class none of whose devices has {@link TrustPolicy#vouchStreak}
 *       verified results in a row — colluders that only ever met each other have none; such a
 *       class must also lead every other class by {@link #STRANGER_MARGIN} in a dispute) is
 *       canonical: the unit goes VALID, its members VALID, every other live result INVALID;
 *       verdicts already given are changed where the new decision differs (a re-opened unit),
 *       with counts and credit corrected; the assimilator stores the canonical outputs;</li>
 *   <li>otherwise, while the replicas coming (slots not yet issued, and replicas out for no
 *       longer than a backup waits: {@link TrustPolicy#backupAfter} × the model's wait)
 *       are at least as many as the closest class lacks, the unit goes back to IN_PROGRESS to
 *       wait; else, where {@code maxReplicas} leaves room, it asks for the difference at once (a
 *       replica that straggles still counts if it comes, but a unit no longer waits on it one
 *       backup at a time); with no room, it waits while anything is out, and else the unit FAILED
 *       and its results are INCONCLUSIVE. Under the quorum-of-strangers rule maxReplicas counts
 *       the results of devices that vouch, and strangers' results up to a second maxReplicas.</li>
 * </ol>
 * Trust: each member of a canonical class of two or more passed a check; each INVALID verdict
 * is a failed check ({@link Trust#failed}: trust reset, votes withdrawn, maybe quarantine).
 * Credit for a VALID verdict: the unit's records × the model's measured milliseconds per record
 * (the smoothed median of agreeing replicas, see {@link Store.Tx#addModelCost}).
 *
 * <p>A result arriving after the unit was decided (a late replica, or a known-answer check) is
 * graded against the canonical outputs (VALID unit) or INCONCLUSIVE (otherwise). An audit of a
 * unit accepted on trust that agrees makes it a replicated unit (both devices passed a check);
 * one that disagrees re-opens the unit for a quorum decision. Every step is a
 * guarded transition, so validating a unit twice changes nothing the second time.
 *
 * <p>After its commit, a validation tells its {@link Listener} which devices it judged (every
 * check it graded, and every live result once the unit is VALID or FAILED) and, with
 * {@link TrustPolicy#callOff}, which replicas still out it called off when the unit went VALID.
 */
public final class Validator {
  /** Why a replica still out when its unit was decided was called off (its assignment's reason). */
  public static final String CALLED_OFF = "unit-decided";

  /**
   * In a disputed unit under the quorum-of-strangers rule, a class none of whose devices vouches
   * wins only when it also has this many results more than any other class: a sequential test on
   * the votes rather than a count. Against one liar an honest class of strangers needs four
   * results, as before; against two who agree (colluders) it needs five, and four colluders who
   * outran two honest results (the simulator saw it: the same wrong answer from four devices of
   * different owners) no longer win. Capped at what strangers need less one, so that against a
   * single dissenter they never need more than they did (a job with a small maxReplicas).
   */
  static final int STRANGER_MARGIN = 3;

  /** What a validation tells the outside, after its commit. Both do nothing unless overridden. */
  public interface Listener {
    Listener NONE = new Listener() { };

    /**
     * One of the device's results was graded (a device held back until a verdict may claim
     * again; see {@link org.idlegrid.coordinator.scheduler.Scheduler#waitsForVerdict}).
     */
    default void judged(String deviceId) { }

    /**
     * A replica still out when its unit was decided was called off ({@link TrustPolicy#callOff},
     * its device vouches): ABORTED with reason {@link #CALLED_OFF}. The device learns it when it
     * asks about the assignment.
     */
    default void calledOff(Rows.Assignment assignment) { }
  }

  private final Store store;
  private final Assimilator assimilator;
  private final Trust trust;
  private final Clock clock;
  private final Runnable workAvailable;
  private final Listener listener;

  /** @param workAvailable called when the unit asks for more replicas (to wake long polls) */
  public Validator(Store store, Assimilator assimilator, Trust trust, Clock clock, Runnable workAvailable,
      Listener listener) {
    this.store = store;
    this.assimilator = assimilator;
    this.trust = trust;
    this.clock = clock;
    this.workAvailable = workAvailable;
    this.listener = listener;
  }

  /** Validates one unit; returns the unit's state afterwards. */
  public UnitState validate(String unitId) {
    boolean[] moreReplicas = {false};
    List<String> graded = new ArrayList<>(4);
    List<Rows.Assignment> calledOff = new ArrayList<>(2);
    UnitState state = store.transaction(tx -> {
      Rows.Unit unit = tx.unit(unitId).orElse(null);
      if (unit == null) {
        return null;
      }
      Rows.Job job = tx.job(unit.jobId()).orElseThrow();
      ComparePolicy policy = ComparePolicy.of(Json.read(job.compareJson(), CompareSpec.class));
      // without the checks out or graded (a unit used as a known answer holds thousands of them)
      List<Rows.Assignment> all = tx.assignmentsToDecide(unitId);
      List<Rows.Assignment> checks = new ArrayList<>();
      List<Rows.Assignment> live = new ArrayList<>();
      for (Rows.Assignment a : all) {
        if (a.state() != AssignmentState.RETURNED || a.outcome() == AssignmentOutcome.WITHDRAWN) {
          continue;
        }
        if (a.kind() == AssignmentKind.KNOWN_ANSWER) {
          checks.add(a);
        } else if (a.outcome() == null && !active(tx, a.deviceId())) {
          tx.gradeAssignment(a.id(), AssignmentOutcome.WITHDRAWN);
        } else {
          live.add(a);
        }
      }
      // arrival order; List.sort is stable, so ties keep the store's issue order (issued_at, rowid)
      live.sort(Comparator.comparing(Rows.Assignment::finishedAt));
      switch (unit.state()) {
        case VALID -> {
          gradeLate(tx, unit, policy, live);
          gradeLate(tx, unit, policy, checks);
        }
        case VALIDATING -> moreReplicas[0] = decide(tx, unit, job, policy, all, live, calledOff);
        default -> { }
      }
      Rows.Unit after = tx.unit(unitId).orElseThrow();
      if (after.state() != UnitState.VALID) {
        // a check can only be graded against a canonical answer; without one it proves nothing
        checks.stream().filter(a -> a.outcome() == null)
            .forEach(a -> tx.gradeAssignment(a.id(), AssignmentOutcome.INCONCLUSIVE));
      }
      if (after.state() == UnitState.FAILED) {
        live.stream().filter(a -> a.outcome() == null)
            .forEach(a -> tx.gradeAssignment(a.id(), AssignmentOutcome.INCONCLUSIVE));
      }
      // who was judged: every check (graded or INCONCLUSIVE above), and every live result once
      // the unit is decided (VALID or FAILED); while the unit waits, its results wait too
      for (Rows.Assignment a : checks) {
        if (a.outcome() == null) {
          graded.add(a.deviceId());
        }
      }
      if (after.state() == UnitState.VALID || after.state() == UnitState.FAILED) {
        for (Rows.Assignment a : live) {
          if (a.outcome() == null) {
            graded.add(a.deviceId());
          }
        }
      }
      return after.state();
    });
    if (moreReplicas[0]) {
      workAvailable.run();
    }
    graded.forEach(listener::judged);
    calledOff.forEach(listener::calledOff);
    return state;
  }

  /** Does a device of the class vouch for it (its streak is at least the policy's vouch streak)? */
  private boolean vouched(Store.Tx tx, List<Rows.Assignment> members) {
    for (Rows.Assignment a : members) {
      if (vouches(tx, a.deviceId())) {
        return true;
      }
    }
    return false;
  }

  private boolean vouches(Store.Tx tx, String deviceId) {
    return tx.claimant(deviceId).map(c -> trust.policy().vouches(c.streak())).orElse(false);
  }

  private static boolean active(Store.Tx tx, String deviceId) {
    return tx.deviceState(deviceId).map(s -> s == DeviceState.ACTIVE).orElse(false);
  }

  /** Validates every unit left VALIDATING or with ungraded results (after a restart). */
  public int sweep() {
    int n = 0;
    for (String id : store.transaction(tx -> tx.unitIdsInState(UnitState.VALIDATING, Integer.MAX_VALUE))) {
      validate(id);
      n++;
    }
    for (String id : store.transaction(tx -> tx.unitIdsWithUngradedResults(Integer.MAX_VALUE))) {
      validate(id);
    }
    return n;
  }

  private static List<JsonNode> outputs(Rows.Assignment a) {
    List<JsonNode> out = new ArrayList<>();
    Json.tree(a.outputsJson()).forEach(out::add);
    return out;
  }

  private boolean decide(Store.Tx tx, Rows.Unit unit, Rows.Job job, ComparePolicy policy,
      List<Rows.Assignment> all, List<Rows.Assignment> live, List<Rows.Assignment> calledOff) {
    int quorum = unit.quorumOr(job.quorum());
    List<List<Rows.Assignment>> classes = new ArrayList<>();
    List<List<JsonNode>> representatives = new ArrayList<>();
    int[] classOf = new int[live.size()];
    for (int i = 0; i < live.size(); i++) {
      List<JsonNode> out = outputs(live.get(i));
      int k = 0;
      while (k < classes.size() && !policy.agree(representatives.get(k), out)) {
        k++;
      }
      if (k == classes.size()) {
        classes.add(new ArrayList<>());
        representatives.add(out);
      }
      classes.get(k).add(live.get(i));
      classOf[i] = k;
    }
    if (classes.size() > 1) {
      quorum = disputeQuorum(quorum, job); // a disputed unit needs one agreeing result more
    }
    // what each class needs: the quorum, one more for a quorum of strangers (none of its devices
    // vouches: docs/verification.md, "A quorum of strangers"); asked only of a class that gets there
    int[] required = new int[classes.size()];
    Arrays.fill(required, quorum);
    boolean[] vouchAsked = new boolean[classes.size()];
    // (on top of a dispute's extra result: three strangers agreeing on a lie won a dispute
    // against three honest results, one of them a trusted device's, by arriving first)
    boolean strangerRule = unit.quorumOr(job.quorum()) >= 2 && trust.strangerRuleActive(tx);
    int strangers = strangerRule ? Math.min(quorum + 1, job.maxReplicas()) : quorum;
    // the first class to reach what it needs, in arrival order
    List<Rows.Assignment> canonical = null;
    int[] sizes = new int[classes.size()];
    // in a dispute, a class of strangers must also lead every other class by STRANGER_MARGIN
    // (docs/verification.md, "Replicas that go missing": a dispute among strangers)
    boolean[] byMargin = new boolean[classes.size()];
    // never more than a sweep of what strangers need against one dissenter (maxReplicas may be small)
    int margin = Math.min(STRANGER_MARGIN, strangers - 1);
    for (int i = 0; i < live.size() && canonical == null; i++) {
      int k = classOf[i];
      if (++sizes[k] >= required[k] && !vouchAsked[k] && strangers > quorum) {
        vouchAsked[k] = true;
        if (!vouched(tx, classes.get(k))) {
          required[k] = strangers;
          byMargin[k] = classes.size() > 1;
        }
      }
      if (sizes[k] >= required[k] && (!byMargin[k] || sizes[k] - runnerUp(sizes, k) >= margin)) {
        canonical = classes.get(k);
      }
    }
    if (canonical != null) {
      if (!tx.transitionUnit(unit.id(), UnitState.VALIDATING, UnitState.VALID)) {
        return false;
      }
      double cost = cost(tx, unit, canonical);
      boolean compared = canonical.size() >= 2;
      List<String> convicted = new ArrayList<>();
      for (Rows.Assignment a : live) {
        boolean valid = canonical.contains(a);
        verdict(tx, unit, a, valid, cost, compared, convicted);
      }
      assimilator.unitValid(tx, unit, canonical.get(0).outputsJson());
      for (String d : convicted) {
        trust.failed(tx, d, "disagreed with the quorum of unit " + unit.id());
      }
      // with TrustPolicy.callOff, replicas still out (a straggler, its backup, a dispute's
      // extra) are called off where their devices vouch: their results would decide nothing,
      // and a device that asks stops computing them. A stranger's stays: graded late against the
      // canonical outputs, it is the check that convicts a cheater before it votes again. Off by
      // default: even so, late results are checks and spare votes that 0 wrong needed
      // (docs/verification.md, "Called off")
      if (trust.policy().callOff()) {
        Instant now = clock.instant();
        for (Rows.Assignment a : all) {
          if (a.state() == AssignmentState.ISSUED && a.kind() == AssignmentKind.REPLICA && vouches(tx, a.deviceId())
              && tx.endAssignment(a.id(), AssignmentState.ABORTED, CALLED_OFF, now)) {
            calledOff.add(a);
          }
        }
      }
      return false;
    }
    // what the closest class lacks (the least any decision still needs), against the replicas
    // coming: slots not yet issued, and replicas out for less than a backup waits. One out longer
    // straggles (its device may have left): its result still counts if it comes, but it no longer
    // stands in for a result the unit lacks, so the unit asks for the rest at once rather than
    // one backup at a time (docs/verification.md, "Replicas that go missing")
    int lacking = quorum;
    for (int k = 0; k < classes.size(); k++) {
      int size = classes.get(k).size();
      int need = byMargin[k] ? Math.max(required[k], runnerUp(sizes, k) + margin) : required[k];
      lacking = Math.min(lacking, need - size);
    }
    long straggleAfter = straggleAfterMs(tx, unit);
    long now = clock.millis();
    long out = 0;
    long coming = unit.needed();
    for (Rows.Assignment a : all) {
      if (a.state() == AssignmentState.ISSUED && a.kind() != AssignmentKind.KNOWN_ANSWER) {
        out++;
        if (now - a.issuedAt().toEpochMilli() <= straggleAfter) {
          coming++;
        }
      }
    }
    if (coming >= lacking) {
      tx.transitionUnit(unit.id(), UnitState.VALIDATING, UnitState.IN_PROGRESS);
      return false;
    }
    long room = job.maxReplicas() - live.size();
    if (room <= 0 && strangerRule) {
      // maxReplicas counts the results of devices that vouch; strangers' results (cheaters that
      // piled onto a unit before any of them was caught) up to a second maxReplicas
      long vouching = live.stream().filter(a -> vouches(tx, a.deviceId())).count();
      room = Math.min(job.maxReplicas() - vouching, 2L * job.maxReplicas() - live.size());
    }
    if (room > 0) {
      int more = (int) Math.min(lacking - coming, room);
      if (tx.transitionUnit(unit.id(), UnitState.VALIDATING, UnitState.IN_PROGRESS)) {
        tx.addReplicaSlots(unit.id(), Math.max(1, more), List.of(UnitState.IN_PROGRESS));
        return true;
      }
      return false;
    }
    if (out + unit.needed() > 0) {
      tx.transitionUnit(unit.id(), UnitState.VALIDATING, UnitState.IN_PROGRESS);
      return false; // no room for more: what is out may still decide it
    }
    if (tx.transitionUnit(unit.id(), UnitState.VALIDATING, UnitState.FAILED)) {
      for (Rows.Assignment a : live) {
        tx.gradeAssignment(a.id(), AssignmentOutcome.INCONCLUSIVE);
      }
      assimilator.unitFailed(tx, unit);
    }
    return false;
  }

  /**
   * Gives (or corrects) one verdict. {@code compared}: the canonical class holds two or more
   * devices' results, so a VALID verdict is a passed check. Devices to convict are collected and
   * convicted after the unit is stored VALID.
   */
  private void verdict(Store.Tx tx, Rows.Unit unit, Rows.Assignment a, boolean valid, double cost, boolean compared,
      List<String> convicted) {
    AssignmentOutcome target = valid ? AssignmentOutcome.VALID : AssignmentOutcome.INVALID;
    if (a.outcome() == null) {
      if (!tx.gradeAssignment(a.id(), target)) {
        return;
      }
      if (valid) {
        double amount = unit.recordCount() * cost;
        trust.grant(tx, a, amount);
        tx.addDeviceCounts(a.deviceId(), 0, 1, 0, Math.max(0, amount));
        if (compared) {
          trust.passed(tx, a.deviceId(), unit.modelId());
        } else {
          tx.onTrustAccepted(a.deviceId()); // quorum 1: accepted on trust, risk + 1
        }
      } else {
        tx.addDeviceCounts(a.deviceId(), 0, 0, 1, 0);
        convicted.add(a.deviceId());
      }
    } else if (a.outcome() != target && tx.regradeAssignment(a.id(), a.outcome(), target)) {
      if (valid) { // an earlier INVALID verdict was wrong (it lost to a vote withdrawn since)
        double amount = unit.recordCount() * cost;
        trust.grant(tx, a, amount);
        tx.addDeviceCounts(a.deviceId(), 0, 1, -1, Math.max(0, amount));
        trust.maybeRelease(tx, a.deviceId());
      } else {
        double reversed = trust.reverseCredit(tx, a);
        tx.addDeviceCounts(a.deviceId(), 0, -1, 1, -reversed);
        convicted.add(a.deviceId());
      }
    }
  }

  /** The largest class other than {@code k}. */
  private static int runnerUp(int[] sizes, int k) {
    int max = 0;
    for (int j = 0; j < sizes.length; j++) {
      if (j != k && sizes[j] > max) {
        max = sizes[j];
      }
    }
    return max;
  }

  /**
   * How long a replica of the unit may be out before it straggles: {@link TrustPolicy#backupAfter}
   * × the model's wait for the unit (its compute or its typical turnaround, the larger), as for a
   * backup; never (MAX_VALUE) with backups off
   * or before the model's time is measured.
   */
  private long straggleAfterMs(Store.Tx tx, Rows.Unit unit) {
    double factor = trust.policy().backupAfter();
    double msPerRecord = factor > 0 ? tx.modelWait(unit.modelId()).orElse(0.0) : 0;
    return msPerRecord > 0 ? (long) (factor * msPerRecord * Math.max(1, unit.recordCount())) : Long.MAX_VALUE;
  }

  /**
   * The quorum of a disputed unit: one agreeing result more than {@code quorum}, where a majority
   * of maxReplicas can still reach it. A liar that meets an honest result then needs two
   * accomplices to come, not one (docs/verification.md, "Disputes").
   */
  static int disputeQuorum(int quorum, Rows.Job job) {
    return Math.max(quorum, Math.min(job.quorum() + 1, (job.maxReplicas() + 1) / 2));
  }

  /** Milliseconds per record to credit: measured from agreeing replicas, never one device's claim alone. */
  private static double cost(Store.Tx tx, Rows.Unit unit, List<Rows.Assignment> canonical) {
    int records = Math.max(1, unit.recordCount());
    if (canonical.size() >= 2) {
      double[] perRecord = canonical.stream()
          .mapToDouble(a -> a.elapsedMs() == null ? 0 : (double) a.elapsedMs() / records).sorted().toArray();
      // and what the coordinator saw, issue to result: the network and the queue included (V10)
      double[] turnaround = canonical.stream().filter(a -> a.finishedAt() != null)
          .mapToDouble(a -> (double) (a.finishedAt().toEpochMilli() - a.issuedAt().toEpochMilli()) / records)
          .toArray();
      tx.addModelCost(unit.modelId(), median(perRecord), turnaround.length == 0 ? Double.NaN : median(turnaround));
    }
    return tx.modelCost(unit.modelId()).orElseGet(() -> {
      // no replicated unit of this model yet: the lone device's claim, until one is measured
      Rows.Assignment a = canonical.get(0);
      return a.elapsedMs() == null ? 0.0 : (double) a.elapsedMs() / records;
    });
  }

  static double median(double[] sorted) {
    if (sorted.length == 0) {
      return 0;
    }
    Arrays.sort(sorted);
    int m = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
  }

  private void gradeLate(Store.Tx tx, Rows.Unit unit, ComparePolicy policy, List<Rows.Assignment> returned) {
    List<JsonNode> canonical = new ArrayList<>();
    Json.tree(unit.canonicalJson()).forEach(canonical::add);
    double cost = tx.modelCost(unit.modelId()).orElse(0.0);
    for (Rows.Assignment a : returned) {
      if (a.outcome() != null) {
        continue;
      }
      boolean valid = policy.agree(canonical, outputs(a));
      if (a.kind() == AssignmentKind.KNOWN_ANSWER) {
        // a check, counted in no job: it moves trust, never credit
        if (tx.gradeAssignment(a.id(), valid ? AssignmentOutcome.VALID : AssignmentOutcome.INVALID)) {
          tx.addDeviceCounts(a.deviceId(), 0, valid ? 1 : 0, valid ? 0 : 1, 0);
          if (valid) {
            trust.passed(tx, a.deviceId(), unit.modelId());
          } else {
            trust.failed(tx, a.deviceId(), "failed a known-answer check");
          }
        }
        continue;
      }
      // an audit, or the late second result of a unit on trust that had a backup replica (either
      // one may be the liar): agreement verifies the unit, disagreement re-opens it for a quorum
      if ((a.kind() == AssignmentKind.AUDIT || a.kind() == AssignmentKind.ON_TRUST)
          && unit.acceptance() == UnitAcceptance.ON_TRUST) {
        if (valid) {
          // the unit accepted on trust is now verified by two devices
          if (tx.gradeAssignment(a.id(), AssignmentOutcome.VALID)) {
            double amount = unit.recordCount() * cost;
            trust.grant(tx, a, amount);
            tx.addDeviceCounts(a.deviceId(), 0, 1, 0, Math.max(0, amount));
            trust.passed(tx, a.deviceId(), unit.modelId());
            returned.stream().filter(x -> x.kind() == AssignmentKind.ON_TRUST
                && x.outcome() == AssignmentOutcome.VALID).forEach(x -> {
                  if (a.kind() == AssignmentKind.AUDIT) {
                    trust.passedAudit(tx, a.id(), x.deviceId(), unit.modelId());
                  } else {
                    trust.passed(tx, x.deviceId(), unit.modelId());
                  }
                });
            tx.setUnitAcceptance(unit.id(), null, UnitAcceptance.REPLICATED);
            assimilator.auditPassed(tx, unit.jobId());
          }
        } else {
          // the audit stays ungraded: a vote in the decision to come. That decision is a dispute,
          // and the holder's class lacks all of a dispute's quorum but its own results: they are
          // asked for at once, not one round of replicas at a time (docs/verification.md,
          // "Fastest first")
          long agreeing = returned.stream().filter(x -> x.kind() == AssignmentKind.ON_TRUST
              && x.outcome() == AssignmentOutcome.VALID).count();
          Rows.Job job = tx.job(unit.jobId()).orElseThrow();
          trust.auditDisagreed(tx, unit.id(), (int) Math.max(1, disputeQuorum(job.quorum(), job) - agreeing));
        }
        continue;
      }
      List<String> convicted = new ArrayList<>();
      verdict(tx, unit, a, valid, cost, true, convicted);
      for (String d : convicted) {
        trust.failed(tx, d, "disagreed with the canonical result of unit " + unit.id());
      }
    }
  }
}
