package org.idlegrid.coordinator.validator;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.idlegrid.compare.ComparePolicy;
import org.idlegrid.coordinator.assimilator.Assimilator;
import org.idlegrid.coordinator.store.AssignmentOutcome;
import org.idlegrid.coordinator.store.AssignmentState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.Store;
import org.idlegrid.coordinator.store.UnitState;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.CompareSpec;

/**
 * Decides a unit once it holds {@code quorum} returned results (state VALIDATING), in one
 * transaction:
 * <ol>
 *   <li>returned results are grouped, in the order they arrived, into classes of results
 *       equivalent under the job's {@link ComparePolicy} (a result joins the first class whose
 *       first member it agrees with);</li>
 *   <li>the first class with at least {@code quorum} members is canonical: the unit goes VALID,
 *       its assignments VALID (credit: the unit's record count), all other returned ones INVALID,
 *       and the assimilator stores the canonical outputs;</li>
 *   <li>otherwise, while replicas are still out, the unit goes back to IN_PROGRESS to wait; if
 *       none are out and fewer than {@code maxReplicas} results were asked for, it asks for as many
 *       more as the largest class lacks (capped by maxReplicas); else the unit FAILED and its
 *       results are INCONCLUSIVE.</li>
 * </ol>
 * A result arriving after the unit was decided is graded against the canonical outputs (VALID
 * unit) or INCONCLUSIVE (FAILED unit). Every step is a guarded transition, so running the
 * validator twice on a unit (e.g. the startup {@link #sweep}) changes nothing the second time.
 */
public final class Validator {
  private final Store store;
  private final Assimilator assimilator;
  private final Runnable workAvailable;

  public Validator(Store store, Assimilator assimilator, Runnable workAvailable) {
    this.store = store;
    this.assimilator = assimilator;
    this.workAvailable = workAvailable;
  }

  /** Validates one unit; returns the unit's state afterwards. */
  public UnitState validate(String unitId) {
    boolean[] moreReplicas = {false};
    UnitState state = store.transaction(tx -> {
      Rows.Unit unit = tx.unit(unitId).orElse(null);
      if (unit == null) {
        return null;
      }
      Rows.Job job = tx.job(unit.jobId()).orElseThrow();
      ComparePolicy policy = ComparePolicy.of(Json.read(job.compareJson(), CompareSpec.class));
      List<Rows.Assignment> all = tx.assignmentsOfUnit(unitId);
      List<Rows.Assignment> returned = new ArrayList<>(all.stream()
          .filter(a -> a.state() == AssignmentState.RETURNED).toList());
      // arrival order; List.sort is stable, so ties keep the store's issue order (issued_at, rowid)
      returned.sort(Comparator.comparing(Rows.Assignment::finishedAt));
      switch (unit.state()) {
        case VALID -> gradeLate(tx, unit, policy, returned);
        case FAILED -> returned.stream().filter(a -> a.outcome() == null)
            .forEach(a -> tx.gradeAssignment(a.id(), AssignmentOutcome.INCONCLUSIVE));
        case VALIDATING -> moreReplicas[0] = decide(tx, unit, job, policy, all, returned);
        default -> { }
      }
      return tx.unit(unitId).orElseThrow().state();
    });
    if (moreReplicas[0]) {
      workAvailable.run();
    }
    return state;
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
      List<Rows.Assignment> all, List<Rows.Assignment> returned) {
    List<List<Rows.Assignment>> classes = new ArrayList<>();
    List<List<JsonNode>> representatives = new ArrayList<>();
    List<Rows.Assignment> canonical = null;
    for (Rows.Assignment a : returned) {
      List<JsonNode> out = outputs(a);
      int k = 0;
      while (k < classes.size() && !policy.agree(representatives.get(k), out)) {
        k++;
      }
      if (k == classes.size()) {
        classes.add(new ArrayList<>());
        representatives.add(out);
      }
      classes.get(k).add(a);
      if (canonical == null && classes.get(k).size() >= job.quorum()) {
        canonical = classes.get(k);
      }
    }
    if (canonical != null) {
      if (!tx.transitionUnit(unit.id(), UnitState.VALIDATING, UnitState.VALID)) {
        return false;
      }
      for (Rows.Assignment a : returned) {
        boolean valid = canonical.contains(a);
        if (tx.gradeAssignment(a.id(), valid ? AssignmentOutcome.VALID : AssignmentOutcome.INVALID)) {
          tx.addDeviceCounts(a.deviceId(), 0, valid ? 1 : 0, valid ? 0 : 1, valid ? unit.recordCount() : 0);
        }
      }
      assimilator.unitValid(tx, unit, canonical.get(0).outputsJson());
      return false;
    }
    long outstanding = all.stream().filter(a -> a.state() == AssignmentState.ISSUED).count() + unit.needed();
    int largest = classes.stream().mapToInt(List::size).max().orElse(0);
    long asked = returned.size() + outstanding;
    if (outstanding > 0) {
      tx.transitionUnit(unit.id(), UnitState.VALIDATING, UnitState.IN_PROGRESS);
      return false;
    }
    if (asked < job.maxReplicas()) {
      int more = (int) Math.min(job.quorum() - largest, job.maxReplicas() - asked);
      if (tx.transitionUnit(unit.id(), UnitState.VALIDATING, UnitState.IN_PROGRESS)) {
        tx.addReplicaSlots(unit.id(), Math.max(1, more), List.of(UnitState.IN_PROGRESS));
        return true;
      }
      return false;
    }
    if (tx.transitionUnit(unit.id(), UnitState.VALIDATING, UnitState.FAILED)) {
      for (Rows.Assignment a : returned) {
        tx.gradeAssignment(a.id(), AssignmentOutcome.INCONCLUSIVE);
      }
      assimilator.unitFailed(tx, unit);
    }
    return false;
  }

  private static void gradeLate(Store.Tx tx, Rows.Unit unit, ComparePolicy policy, List<Rows.Assignment> returned) {
    List<JsonNode> canonical = new ArrayList<>();
    Json.tree(unit.canonicalJson()).forEach(canonical::add);
    for (Rows.Assignment a : returned) {
      if (a.outcome() != null) {
        continue;
      }
      boolean valid = policy.agree(canonical, outputs(a));
      if (tx.gradeAssignment(a.id(), valid ? AssignmentOutcome.VALID : AssignmentOutcome.INVALID)) {
        tx.addDeviceCounts(a.deviceId(), 0, valid ? 1 : 0, valid ? 0 : 1, valid ? unit.recordCount() : 0);
      }
    }
  }
}
