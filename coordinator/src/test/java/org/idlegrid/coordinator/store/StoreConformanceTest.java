package org.idlegrid.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour every {@link Store} backend must have. A backend's test extends this class and
 * says how to open a store ({@link #open}); PostgreSQL will reuse it as is.
 */
public abstract class StoreConformanceTest {
  @TempDir
  protected Path dir;
  protected Store store;
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  /** Opens a store whose data lives in {@code dir} (the same dir again means the same data). */
  protected abstract Store open(Path dir);

  @BeforeEach
  void openStore() {
    store = open(dir);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  // ------------------------------------------------------------------ fixtures

  protected boolean ok(java.util.function.Function<Store.Tx, Boolean> work) {
    return store.transaction(work);
  }

  protected Rows.Device device(String id, String ownerKey) {
    Rows.Device d = new Rows.Device(id, "hash-" + id, "pk", id, null, ownerKey, null, "[]", DeviceState.ACTIVE, null,
        T0, T0, 0, 0, 0, 0);
    store.transaction(tx -> {
      tx.insertDevice(d);
      return null;
    });
    return d;
  }

  protected Rows.Model model(String id) {
    Rows.Model m = new Rows.Model(id, "m", "OnnxRuntime", 10, "ONNX", "{\"kind\":\"any\",\"inputs\":[]}", "alice", T0);
    store.transaction(tx -> tx.insertModel(m));
    return m;
  }

  /** A job with {@code units} units of 2 records each, {@code replicas} needed per unit. */
  protected Rows.Job job(String id, String modelId, int priority, int units, int replicas) {
    return store.transaction(tx -> {
      Rows.Job j = new Rows.Job(id, 0, "alice", id, modelId, "ab".repeat(32), units * 2L, 2, priority, replicas,
          Math.min(2, replicas), 5, "{\"mode\":\"exact\"}", JobState.QUEUED, T0, null, null);
      tx.insertJob(j);
      Rows.Job stored = tx.job(id).orElseThrow();
      List<Rows.Unit> list = new ArrayList<>();
      for (int i = 0; i < units; i++) {
        list.add(new Rows.Unit(id + "-u" + i, id, i, 2L * i, 2L * i + 2, 0, 10, UnitState.PENDING, priority,
            stored.seq(), modelId, replicas, null));
      }
      tx.insertUnits(list);
      return stored;
    });
  }

  protected Rows.Assignment issue(String assignmentId, Rows.Unit unit, Rows.Device device, Instant deadline) {
    Rows.Assignment a = new Rows.Assignment(assignmentId, unit.id(), unit.jobId(), device.id(), device.ownerKey(),
        AssignmentState.ISSUED, null, T0, deadline, null, null, null, null, null);
    store.transaction(tx -> {
      assertTrue(tx.takeReplicaSlot(unit.id()));
      tx.insertAssignment(a);
      return null;
    });
    return a;
  }

  private List<String> candidateIds(Rows.Device d, List<String> models, int limit) {
    return store.transaction(tx -> tx.dispatchCandidates(d.id(), d.ownerKey(), models, limit))
        .stream().map(Rows.Unit::id).toList();
  }

  // ------------------------------------------------------------------ keys and tokens

  @Test
  void apiKeysAreFoundByHashAndNamesAreUnique() {
    assertTrue(ok(tx -> tx.insertApiKey("bob", "h1", Role.SUBMITTER, T0)));
    assertFalse(ok(tx -> tx.insertApiKey("bob", "h2", Role.ADMIN, T0)));
    assertEquals("bob", store.transaction(tx -> tx.apiKeyByHash("h1")).orElseThrow().name());
    assertTrue(store.transaction(tx -> tx.apiKeyByHash("h2")).isEmpty());
    assertEquals(1, (int) store.transaction(tx -> tx.countApiKeys(Role.SUBMITTER)));
    assertTrue(ok(tx -> tx.deleteApiKey("bob")));
    assertTrue(store.transaction(tx -> tx.apiKeyByHash("h1")).isEmpty());
    assertFalse(ok(tx -> tx.deleteApiKey("bob")));
  }

  @Test
  void aDeviceTokenFindsItsCallerWithTheStateOfNow() {
    device("d1", "o1");
    Rows.Caller c = store.transaction(tx -> tx.callerByTokenHash("hash-d1")).orElseThrow();
    assertEquals(new Rows.Caller("d1", "pk", DeviceState.ACTIVE, null), c);
    assertTrue(ok(tx -> tx.transitionDevice("d1", DeviceState.ACTIVE, DeviceState.BANNED, "wrong results")));
    assertEquals(new Rows.Caller("d1", "pk", DeviceState.BANNED, "wrong results"),
        store.transaction(tx -> tx.callerByTokenHash("hash-d1")).orElseThrow());
    assertTrue(store.transaction(tx -> tx.callerByTokenHash("hash-d2")).isEmpty());
  }

  @Test
  void enrollmentTokenWorksOnce() {
    store.transaction(tx -> {
      tx.insertEnrollmentToken("t", "admin", T0);
      return null;
    });
    assertTrue(ok(tx -> tx.useEnrollmentToken("t", "d1", T0)));
    assertFalse(ok(tx -> tx.useEnrollmentToken("t", "d2", T0)));
    assertFalse(ok(tx -> tx.useEnrollmentToken("unknown", "d3", T0)));
  }

  // ------------------------------------------------------------------ transactions

  @Test
  void failedTransactionLeavesNothingBehind() {
    assertThrows(IllegalStateException.class, () -> store.transaction(tx -> {
      tx.insertApiKey("carol", "hc", Role.SUBMITTER, T0);
      throw new IllegalStateException("boom");
    }));
    assertTrue(store.transaction(tx -> tx.apiKey("carol")).isEmpty());
  }

  @Test
  void committedDataSurvivesReopening() {
    model("sha256:" + "1".repeat(64));
    job("j1", "sha256:" + "1".repeat(64), 0, 3, 2);
    store.close();
    store = open(dir);
    assertEquals(3, store.transaction(tx -> tx.jobProgress("j1")).unitsTotal());
  }

  // ------------------------------------------------------------------ state changes

  @Test
  void stateChangesAreConditionalOnTheCurrentState() {
    model("sha256:" + "1".repeat(64));
    job("j1", "sha256:" + "1".repeat(64), 0, 1, 2);
    assertFalse(ok(tx -> tx.transitionJob("j1", JobState.RUNNING, JobState.COMPLETED, T0, null)));
    assertTrue(ok(tx -> tx.transitionJob("j1", JobState.QUEUED, JobState.RUNNING, T0, null)));
    assertFalse(ok(tx -> tx.transitionJob("j1", JobState.QUEUED, JobState.RUNNING, T0, null)));
    assertEquals(JobState.RUNNING, store.transaction(tx -> tx.job("j1")).orElseThrow().state());

    assertTrue(ok(tx -> tx.transitionUnit("j1-u0", UnitState.PENDING, UnitState.IN_PROGRESS)));
    assertFalse(ok(tx -> tx.transitionUnit("j1-u0", UnitState.PENDING, UnitState.IN_PROGRESS)));

    Rows.Device d = device("d1", "device:d1");
    assertTrue(ok(tx -> tx.transitionDevice("d1", DeviceState.ACTIVE, DeviceState.BANNED, "cheat")));
    assertFalse(ok(tx -> tx.transitionDevice("d1", DeviceState.ACTIVE, DeviceState.BANNED, "again")));
    assertEquals("cheat", store.transaction(tx -> tx.device(d.id())).orElseThrow().stateReason());
    assertEquals(DeviceState.BANNED, store.transaction(tx -> tx.deviceState(d.id())).orElseThrow());
    Rows.Claimant claimant = store.transaction(tx -> tx.claimant(d.id())).orElseThrow();
    assertEquals(DeviceState.BANNED, claimant.state());
    assertEquals(d.ownerKey(), claimant.ownerKey());
    assertEquals(DeviceState.BANNED, store.transaction(tx -> tx.quarantineCounts(d.id())).orElseThrow().state());
    assertTrue(store.transaction(tx -> tx.claimant("nobody")).isEmpty());
    assertTrue(store.transaction(tx -> tx.deviceState("nobody")).isEmpty());
  }

  @Test
  void aJobReadInsideARolledBackTransactionIsNotSeenAfterIt() {
    model("sha256:" + "1".repeat(64));
    job("j1", "sha256:" + "1".repeat(64), 0, 1, 2);
    assertEquals(JobState.QUEUED, store.transaction(tx -> tx.job("j1")).orElseThrow().state());
    assertThrows(IllegalStateException.class, () -> store.transaction(tx -> {
      assertTrue(tx.transitionJob("j1", JobState.QUEUED, JobState.RUNNING, T0, null));
      assertEquals(JobState.RUNNING, tx.job("j1").orElseThrow().state(), "the transaction sees its own change");
      throw new IllegalStateException("roll back");
    }));
    assertEquals(JobState.QUEUED, store.transaction(tx -> tx.job("j1")).orElseThrow().state());
    assertTrue(ok(tx -> tx.transitionJob("j1", JobState.QUEUED, JobState.CANCELLED, T0, "stop")));
    Rows.Job after = store.transaction(tx -> tx.job("j1")).orElseThrow();
    assertEquals(JobState.CANCELLED, after.state());
    assertEquals("stop", after.error());
    assertEquals(T0, after.finishedAt());
  }

  @Test
  void aModelInsertedInARolledBackTransactionIsGoneAfterIt() {
    String id = "sha256:" + "7".repeat(64);
    assertThrows(IllegalStateException.class, () -> store.transaction(tx -> {
      tx.insertModel(new Rows.Model(id, "m", "OnnxRuntime", 10, "ONNX", "{\"kind\":\"any\",\"inputs\":[]}", "alice",
          T0));
      assertEquals("m", tx.model(id).orElseThrow().name(), "the transaction sees its own model");
      throw new IllegalStateException("roll back");
    }));
    assertTrue(store.transaction(tx -> tx.model(id)).isEmpty());
    model(id);
    assertEquals(10, store.transaction(tx -> tx.model(id)).orElseThrow().bytes());
    assertEquals(10, store.transaction(tx -> tx.model(id)).orElseThrow().bytes(), "read twice, the same row");
  }

  @Test
  void replicaSlotsNeverGoBelowZero() {
    model("sha256:" + "1".repeat(64));
    job("j1", "sha256:" + "1".repeat(64), 0, 1, 2);
    assertTrue(ok(tx -> tx.takeReplicaSlot("j1-u0")));
    assertTrue(ok(tx -> tx.takeReplicaSlot("j1-u0")));
    assertFalse(ok(tx -> tx.takeReplicaSlot("j1-u0")));
    assertEquals(0, store.transaction(tx -> tx.unit("j1-u0")).orElseThrow().needed());
    assertFalse(ok(tx -> tx.hasDispatchableWork()));
    assertFalse(ok(tx -> tx.addReplicaSlots("j1-u0", 1, List.of(UnitState.IN_PROGRESS))),
        "a PENDING unit is not in the allowed states");
    assertTrue(ok(tx -> tx.addReplicaSlots("j1-u0", 1, List.of(UnitState.PENDING))));
    assertTrue(ok(tx -> tx.hasDispatchableWork()));
  }

  @Test
  void anOverdueUnitGetsOneSlotOnceItsModelIsMeasured() {
    String m = "sha256:" + "1".repeat(64);
    model(m);
    job("j1", m, 0, 1, 1); // one unit of two records, one replica
    Rows.Device d = device("d1", "device:d1");
    issue("a1", store.transaction(tx -> tx.unit("j1-u0")).orElseThrow(), d, T0.plusSeconds(600));
    assertTrue(ok(tx -> tx.transitionJob("j1", JobState.QUEUED, JobState.RUNNING, T0, null)));
    ok(tx -> tx.transitionUnit("j1-u0", UnitState.PENDING, UnitState.IN_PROGRESS));
    assertEquals(0, (int) store.transaction(tx -> tx.reissueOverdue(T0.plusSeconds(3600), 3, 0, 10)),
        "nothing measured: no unit is overdue before its deadline");
    store.transaction(tx -> {
      tx.addModelCost(m, 1000); // 2 s a unit: overdue after 3 x 2 s
      return null;
    });
    assertEquals(0, (int) store.transaction(tx -> tx.reissueOverdue(T0.plusMillis(5999), 3, 0, 10)));
    assertEquals(0, (int) store.transaction(tx -> tx.reissueOverdue(T0.plusSeconds(6), 3, 7000, 10)),
        "nor before the floor");
    assertEquals(1, (int) store.transaction(tx -> tx.reissueOverdue(T0.plusSeconds(6), 3, 0, 10)));
    assertEquals(1, store.transaction(tx -> tx.unit("j1-u0")).orElseThrow().needed());
    assertEquals(0, (int) store.transaction(tx -> tx.reissueOverdue(T0.plusSeconds(60), 3, 0, 10)),
        "a unit with a slot to issue is not overdue");
  }

  @Test
  void aModelsWaitIsTheLargerOfItsComputeTimeAndItsObservedTurnaround() {
    String m = "sha256:" + "2".repeat(64);
    model(m);
    assertTrue(store.transaction(tx -> tx.modelWait(m)).isEmpty());
    store.transaction(tx -> {
      tx.addModelCost(m, 10); // compute only: no turnaround measured yet
      return null;
    });
    assertEquals(10.0, store.transaction(tx -> tx.modelWait(m)).orElseThrow(), 1e-9);
    store.transaction(tx -> {
      tx.addModelCost(m, 10, 2010); // the network and the queue: 2 s
      return null;
    });
    assertEquals(10.0, store.transaction(tx -> tx.modelCost(m)).orElseThrow(), 1e-9, "credit is priced by compute");
    assertEquals(2010.0, store.transaction(tx -> tx.modelWait(m)).orElseThrow(), 1e-9);
    store.transaction(tx -> {
      tx.addModelCost(m, 10, 1010);
      return null;
    });
    assertEquals(2010 - 1000.0 / 3, store.transaction(tx -> tx.modelWait(m)).orElseThrow(), 1e-9,
        "smoothed as the compute time is (the third sample moves it a third of the way)");
  }

  @Test
  void aReturnedResultIsCountedAndMovesTheDevicesPaceAQuarterOfTheWay() {
    device("d1", "device:d1");
    assertEquals(null, store.transaction(tx -> tx.claimant("d1")).orElseThrow().pace(), "not measured yet");
    for (double sample : new double[] {Double.NaN, 2.0, 1.0}) {
      store.transaction(tx -> {
        tx.resultReturned("d1", sample); // NaN: the model was not measured yet
        return null;
      });
    }
    assertEquals(1.75, store.transaction(tx -> tx.claimant("d1")).orElseThrow().pace(), 1e-12,
        "the first sample sets it, the next moves it a quarter of the way");
    assertEquals(3, store.transaction(tx -> tx.device("d1")).orElseThrow().resultsReturned());
  }

  @Test
  void aResultIsRecordedOnlyOnceAndOnlyForAnIssuedAssignment() {
    model("sha256:" + "1".repeat(64));
    job("j1", "sha256:" + "1".repeat(64), 0, 1, 2);
    Rows.Device d = device("d1", "device:d1");
    Rows.Unit u = store.transaction(tx -> tx.unit("j1-u0")).orElseThrow();
    issue("a1", u, d, T0.plusSeconds(60));
    assertTrue(ok(tx -> tx.recordResult("a1", "[{}]", 5, null, T0)));
    assertFalse(ok(tx -> tx.recordResult("a1", "[{\"x\":1}]", 5, null, T0)));
    assertFalse(ok(tx -> tx.endAssignment("a1", AssignmentState.TIMED_OUT, "late", T0)));
    Rows.Assignment a = store.transaction(tx -> tx.assignment("a1")).orElseThrow();
    assertEquals(AssignmentState.RETURNED, a.state());
    assertEquals("[{}]", a.outputsJson());
    assertTrue(ok(tx -> tx.gradeAssignment("a1", AssignmentOutcome.VALID)));
    assertFalse(ok(tx -> tx.gradeAssignment("a1", AssignmentOutcome.INVALID)));
  }

  @Test
  void expiredAssignmentsAreThoseIssuedPastTheirDeadline() {
    model("sha256:" + "1".repeat(64));
    job("j1", "sha256:" + "1".repeat(64), 0, 2, 1);
    Rows.Device d = device("d1", "device:d1");
    issue("a1", store.transaction(tx -> tx.unit("j1-u0")).orElseThrow(), d, T0.plusSeconds(10));
    issue("a2", store.transaction(tx -> tx.unit("j1-u1")).orElseThrow(), d, T0.plusSeconds(100));
    assertEquals(List.of(), store.transaction(tx -> tx.expiredAssignments(T0.plusSeconds(9), 10)));
    assertEquals(List.of("a1"), store.transaction(tx -> tx.expiredAssignments(T0.plusSeconds(10), 10))
        .stream().map(Rows.Assignment::id).toList());
    assertTrue(ok(tx -> tx.endAssignment("a1", AssignmentState.TIMED_OUT, "late", T0)));
    assertEquals(List.of(), store.transaction(tx -> tx.expiredAssignments(T0.plusSeconds(50), 10)));
    assertEquals(List.of("a2"), store.transaction(tx -> tx.issuedAssignmentsOfDevice("d1"))
        .stream().map(Rows.Assignment::id).toList());
  }

  // ------------------------------------------------------------------ dispatch

  @Test
  void dispatchOrderIsPriorityThenOldestJobThenUnitIndex() {
    model("sha256:" + "1".repeat(64));
    job("old", "sha256:" + "1".repeat(64), 0, 2, 1);
    job("new", "sha256:" + "1".repeat(64), 0, 1, 1);
    job("urgent", "sha256:" + "1".repeat(64), 5, 1, 1);
    Rows.Device d = device("d1", "device:d1");
    assertEquals(List.of("urgent-u0", "old-u0", "old-u1", "new-u0"), candidateIds(d, null, 10));
    assertEquals(List.of("urgent-u0", "old-u0"), candidateIds(d, null, 2));
  }

  @Test
  void dispatchNeverOffersAUnitTheDeviceOrItsOwnerAlreadyHolds() {
    model("sha256:" + "1".repeat(64));
    job("j1", "sha256:" + "1".repeat(64), 0, 1, 3);
    Rows.Device a = device("a", "owner:ann");
    Rows.Device a2 = device("a2", "owner:ann");
    Rows.Device b = device("b", "owner:ben");
    Rows.Unit u = store.transaction(tx -> tx.unit("j1-u0")).orElseThrow();
    issue("x1", u, a, T0.plusSeconds(60));
    assertEquals(List.of(), candidateIds(a, null, 10), "same device");
    assertEquals(List.of(), candidateIds(a2, null, 10), "same owner");
    assertEquals(List.of("j1-u0"), candidateIds(b, null, 10));
    Rows.Assignment x2 = issue("x2", u, b, T0.plusSeconds(60));
    store.transaction(tx -> tx.recordResult(x2.id(), "[{}]", 5, null, T0));
    assertEquals(List.of(), candidateIds(b, null, 10), "a device that returned a result never gets another replica");
    store.transaction(tx -> tx.endAssignment("x1", AssignmentState.TIMED_OUT, "late", T0));
    assertEquals(List.of("j1-u0"), candidateIds(a, null, 10),
        "an assignment that ended without a result leaves no vote: it bars nobody (a small fleet would stall)");
    assertEquals(List.of("j1-u0"), candidateIds(a2, null, 10));
  }

  @Test
  void dispatchSkipsFinishedJobsAndCanFilterByModel() {
    String m1 = "sha256:" + "1".repeat(64);
    String m2 = "sha256:" + "2".repeat(64);
    model(m1);
    model(m2);
    job("j1", m1, 0, 1, 1);
    job("j2", m2, 0, 1, 1);
    Rows.Device d = device("d1", "device:d1");
    assertEquals(List.of("j2-u0"), candidateIds(d, List.of(m2), 10));
    store.transaction(tx -> tx.transitionJob("j1", JobState.QUEUED, JobState.CANCELLED, T0, "cancelled"));
    assertEquals(List.of("j2-u0"), candidateIds(d, null, 10));
  }

  // ------------------------------------------------------------------ jobs and progress

  @Test
  void jobsAreListedNewestFirstPerOwner() {
    String m = "sha256:" + "1".repeat(64);
    model(m);
    Rows.Job j1 = job("j1", m, 0, 1, 1);
    Rows.Job j2 = job("j2", m, 0, 1, 1);
    Rows.Job j3 = job("j3", m, 0, 1, 1);
    assertEquals(List.of("j3", "j2"), store.transaction(tx -> tx.jobs("alice", null, 2)).stream().map(Rows.Job::id).toList());
    assertEquals(List.of("j1"), store.transaction(tx -> tx.jobs(null, j2.seq(), 5)).stream().map(Rows.Job::id).toList());
    assertEquals(List.of(), store.transaction(tx -> tx.jobs("mallory", null, 5)));
    assertTrue(j3.seq() > j1.seq());
  }

  @Test
  void aJobIsCompleteWhenItsLastUnitIsCountedValid() {
    String m = "sha256:" + "1".repeat(64);
    model(m);
    job("j1", m, 0, 2, 1);
    assertFalse(ok(tx -> tx.addValidUnit("j1")));
    assertTrue(ok(tx -> tx.addValidUnit("j1")));
    store.transaction(tx -> tx.transitionUnit("j1-u0", UnitState.PENDING, UnitState.VALID));
    Rows.JobProgress p = store.transaction(tx -> tx.jobProgress("j1"));
    assertEquals(2, p.unitsTotal());
    assertEquals(1, p.unitsValid());
    Integer counted = store.transaction(tx -> tx.unitsValid("j1"));
    assertEquals(2, counted, "the running count: two addValidUnit calls");
    store.transaction(tx -> {
      tx.removeValidUnit("j1");
      return null;
    });
    counted = store.transaction(tx -> tx.unitsValid("j1"));
    assertEquals(1, counted);
    assertEquals(2, p.recordsDone());
  }

  // ------------------------------------------------------------------ trust, re-verification, placement (V2)

  private Rows.Assignment issueAs(String assignmentId, Rows.Unit unit, Rows.Device device, String network,
      boolean trusted, AssignmentKind kind) {
    Rows.Assignment a = new Rows.Assignment(assignmentId, unit.id(), unit.jobId(), device.id(), device.ownerKey(),
        AssignmentState.ISSUED, null, T0, T0.plusSeconds(60), null, null, null, null, null, kind, network, trusted);
    store.transaction(tx -> {
      if (kind != AssignmentKind.KNOWN_ANSWER) {
        assertTrue(tx.takeReplicaSlot(unit.id()));
      }
      tx.insertAssignment(a);
      return null;
    });
    return a;
  }

  private Rows.Unit unitRow(String id) {
    return store.transaction(tx -> tx.unit(id)).orElseThrow();
  }

  @Test
  void trustStreakGrowsWithPassedChecksAndAFailedCheckResetsIt() {
    device("d1", "device:d1");
    for (int i = 0; i < 3; i++) {
      int n = i;
      store.transaction(tx -> {
        tx.trustPassed("d1", T0.plusSeconds(n), 3);
        return null;
      });
    }
    Rows.DeviceTrust t = store.transaction(tx -> tx.deviceTrust("d1")).orElseThrow();
    assertEquals(3, t.streak());
    assertEquals(T0.plusSeconds(2), t.trustedSince(), "trusted when the streak reached the threshold");
    assertEquals(1, store.transaction(tx -> tx.countActiveAndTrusted(3))[1]);
    store.transaction(tx -> {
      tx.trustReset("d1", T0.plusSeconds(9));
      tx.addDeviceFailures("d1", 1, 2);
      return null;
    });
    t = store.transaction(tx -> tx.deviceTrust("d1")).orElseThrow();
    assertEquals(0, t.streak());
    assertEquals(null, t.trustedSince());
    assertEquals(T0.plusSeconds(9), t.lastFailedAt());
    assertEquals(1, t.checksFailed());
    assertEquals(1, t.resultsErrored());
    assertEquals(2, t.resultsTimedOut());
    assertEquals(0, store.transaction(tx -> tx.countActiveAndTrusted(3))[1]);
    Rows.QuarantineCounts q = store.transaction(tx -> tx.quarantineCounts("d1")).orElseThrow();
    assertEquals(1, q.resultsErrored());
    assertEquals(2, q.resultsTimedOut());
    assertEquals(0, store.transaction(tx -> tx.claimant("d1")).orElseThrow().streak());
  }

  @Test
  void reopeningAValidUnitClearsItsAcceptanceAndIsAppliedOnce() {
    String m = "sha256:" + "1".repeat(64);
    model(m);
    job("j1", m, 0, 2, 2);
    store.transaction(tx -> {
      tx.transitionUnit("j1-u0", UnitState.PENDING, UnitState.VALID);
      tx.setCanonical("j1-u0", "[{}]");
      tx.setUnitAcceptance("j1-u0", 1, UnitAcceptance.ON_TRUST);
      tx.setNeeded("j1-u0", 0);
      tx.addValidUnit("j1");
      return null;
    });
    assertEquals(UnitAcceptance.ON_TRUST, unitRow("j1-u0").acceptance());
    assertEquals(1, unitRow("j1-u0").quorum());
    assertTrue(ok(tx -> tx.reopenUnit("j1-u0", 2)));
    assertFalse(ok(tx -> tx.reopenUnit("j1-u0", 2)), "only a VALID unit is re-opened");
    Rows.Unit u = unitRow("j1-u0");
    assertEquals(UnitState.IN_PROGRESS, u.state());
    assertEquals(null, u.canonicalJson());
    assertEquals(null, u.quorum());
    assertEquals(UnitAcceptance.REPLICATED, u.acceptance());
    assertEquals(2, u.needed());
    store.transaction(tx -> {
      tx.removeValidUnit("j1");
      return null;
    });
    assertFalse(ok(tx -> tx.addValidUnit("j1")), "1 of 2 valid: the re-opened unit no longer counts");
    assertTrue(ok(tx -> tx.addValidUnit("j1")));
  }

  @Test
  void votesAreWithdrawnOnceAndCreditIsTheLedgersSum() {
    String m = "sha256:" + "1".repeat(64);
    model(m);
    job("j1", m, 0, 2, 2);
    Rows.Device d = device("d1", "owner:ann");
    Rows.Unit u0 = unitRow("j1-u0");
    Rows.Unit u1 = unitRow("j1-u1");
    issueAs("a0", u0, d, null, false, AssignmentKind.REPLICA);
    issueAs("a1", u1, d, null, false, AssignmentKind.REPLICA);
    store.transaction(tx -> {
      tx.recordResult("a0", "[{}]", 5, null, T0);
      tx.recordResult("a1", "[{}]", 5, null, T0);
      tx.gradeAssignment("a0", AssignmentOutcome.VALID);
      tx.gradeAssignment("a1", AssignmentOutcome.VALID);
      tx.transitionUnit("j1-u0", UnitState.PENDING, UnitState.VALID);
      tx.insertLedger(new Rows.LedgerEntry(0, "d1", "owner:ann", "j1-u0", "a0", 4.5, LedgerReason.VALIDATED, T0));
      return null;
    });
    assertEquals(List.of("a0"), store.transaction(tx -> tx.validVotesOfDevice("d1")).stream()
        .map(Rows.Assignment::id).toList(), "only votes on VALID units");
    assertEquals(4.5, store.transaction(tx -> tx.creditOfAssignment("a0")));
    assertTrue(ok(tx -> tx.regradeAssignment("a0", AssignmentOutcome.VALID, AssignmentOutcome.WITHDRAWN)));
    assertFalse(ok(tx -> tx.regradeAssignment("a0", AssignmentOutcome.VALID, AssignmentOutcome.WITHDRAWN)));
    store.transaction(tx -> {
      tx.insertLedger(new Rows.LedgerEntry(0, "d1", "owner:ann", "j1-u0", "a0", -4.5, LedgerReason.REVERSED, T0));
      return null;
    });
    assertEquals(0.0, store.transaction(tx -> tx.creditOfAssignment("a0")));
    assertEquals(List.of(LedgerReason.VALIDATED, LedgerReason.REVERSED),
        store.transaction(tx -> tx.ledgerOfDevice("d1")).stream().map(Rows.LedgerEntry::reason).toList());
    assertEquals(List.of(), store.transaction(tx -> tx.validVotesOfDevice("d1")));
  }

  @Test
  void dispatchNeverOffersAUnitToADeviceOfANetworkThatHoldsIt() {
    model("sha256:" + "1".repeat(64));
    job("j1", "sha256:" + "1".repeat(64), 0, 1, 3);
    Rows.Device a = device("a", "owner:ann");
    device("b", "owner:ben");
    issueAs("x1", unitRow("j1-u0"), a, "v4:203.0.113.0/24", false, AssignmentKind.REPLICA);
    List<Rows.Unit> same = store.transaction(tx -> tx.dispatchCandidates(
        new Rows.Placement("b", "owner:ben", "v4:203.0.113.0/24", null, false), null, 10));
    assertEquals(List.of(), same);
    List<Rows.Unit> other = store.transaction(tx -> tx.dispatchCandidates(
        new Rows.Placement("b", "owner:ben", "v4:198.51.100.0/24", null, false), null, 10));
    assertEquals(1, other.size());
    List<Rows.Unit> unknown = store.transaction(tx -> tx.dispatchCandidates(
        new Rows.Placement("b", "owner:ben", null, null, false), null, 10));
    assertEquals(1, unknown.size(), "an unknown network excludes nobody");
  }

  /** Job j1 of {@code units} units: u0 held by an untrusted device only, u1 by a trusted one, the rest fresh. */
  private void unitsHeldByAnUntrustedAndATrustedDevice(int units) {
    model("sha256:" + "1".repeat(64));
    job("j1", "sha256:" + "1".repeat(64), 0, units, 2);
    issueAs("x0", unitRow("j1-u0"), device("u", "owner:u"), null, false, AssignmentKind.REPLICA);
    issueAs("x1", unitRow("j1-u1"), device("t", "owner:t"), null, true, AssignmentKind.REPLICA);
  }

  @Test
  void anUntrustedDeviceOnlyCrossChecksAUnitATrustedDeviceHolds() {
    unitsHeldByAnUntrustedAndATrustedDevice(3);
    List<String> ids = store.transaction(tx -> tx.dispatchCandidates(
        new Rows.Placement("c", "owner:c", null, null, true), null, 10)).stream().map(Rows.Unit::id).toList();
    assertEquals(List.of("j1-u1", "j1-u2"), ids, "not u0 (held by an untrusted device only); fresh u2 is fine");
    ids = store.transaction(tx -> tx.dispatchCandidates(
        new Rows.Placement("c", "owner:c", null, null, false), null, 10)).stream().map(Rows.Unit::id).toList();
    assertEquals(List.of("j1-u0", "j1-u1", "j1-u2"), ids);
  }

  @Test
  void underThePeerRuleAnUntrustedDeviceIsOfferedFreshUnitsBeforeUnitsATrustedDeviceHolds() {
    unitsHeldByAnUntrustedAndATrustedDevice(4);
    store.transaction(tx -> {
      tx.transitionUnit("j1-u0", UnitState.PENDING, UnitState.IN_PROGRESS);
      tx.transitionUnit("j1-u1", UnitState.PENDING, UnitState.IN_PROGRESS);
      return null;
    });
    Rows.Placement peerRule = new Rows.Placement("c", "owner:c", null, null, true);
    List<String> ids = store.transaction(tx -> tx.dispatchCandidates(peerRule, null, 10)).stream()
        .map(Rows.Unit::id).toList();
    assertEquals(List.of("j1-u2", "j1-u3", "j1-u1"), ids, "fresh units first, then u1; never u0");
    assertEquals(List.of("j1-u2"), store.transaction(tx -> tx.dispatchCandidates(peerRule, null, 1)).stream()
        .map(Rows.Unit::id).toList());
    store.transaction(tx -> {
      for (String u : List.of("j1-u2", "j1-u3")) {
        tx.takeReplicaSlot(u);
        tx.takeReplicaSlot(u);
      }
      return null;
    });
    assertEquals(List.of("j1-u1"), store.transaction(tx -> tx.dispatchCandidates(peerRule, null, 10)).stream()
        .map(Rows.Unit::id).toList(), "no fresh unit left: the unit a trusted device holds");
  }

  @Test
  void aKnownAnswerComesFromAUnitValidatedByAQuorumThatTheDeviceNeverHeld() {
    String m = "sha256:" + "1".repeat(64);
    model(m);
    job("j1", m, 0, 3, 2);
    Rows.Device a = device("a", "owner:ann");
    store.transaction(tx -> {
      for (int i = 0; i < 3; i++) {
        tx.transitionUnit("j1-u" + i, UnitState.PENDING, UnitState.VALID);
        tx.setCanonical("j1-u" + i, "[{}]");
      }
      tx.setUnitAcceptance("j1-u2", 1, UnitAcceptance.ON_TRUST);
      return null;
    });
    issueAs("k0", unitRow("j1-u1"), a, null, true, AssignmentKind.KNOWN_ANSWER);
    Rows.Placement p = new Rows.Placement("a", "owner:ann", null, null, false);
    assertEquals("j1-u0", store.transaction(tx -> tx.knownAnswerSource(p, m, 0)).orElseThrow().id(),
        "not u1 (a held it), not u2 (accepted on trust)");
    assertTrue(store.transaction(tx -> tx.knownAnswerSource(p, m, 1)).isEmpty());
    assertTrue(store.transaction(tx -> tx.knownAnswerSource(p, "sha256:" + "9".repeat(64), 0)).isEmpty());
    store.transaction(tx -> tx.endAssignment("k0", AssignmentState.TIMED_OUT, "late", T0));
    assertEquals("j1-u0", store.transaction(tx -> tx.knownAnswerSource(p, m, 0)).orElseThrow().id(),
        "a device that was ever sent a unit could recognise it: never its known answer, even after a timeout");
  }

  /** Unit {@code unitId} accepted on trust from {@code holder}, its result returned at T0 + {@code second}. */
  private void acceptedOnTrust(String unitId, Rows.Device holder, int second) {
    Rows.Assignment a = issueAs("t-" + unitId, unitRow(unitId), holder, null, true, AssignmentKind.ON_TRUST);
    store.transaction(tx -> {
      assertTrue(tx.recordResult(a.id(), "[{}]", 5, null, T0.plusSeconds(second)));
      assertTrue(tx.gradeAssignment(a.id(), AssignmentOutcome.VALID));
      assertTrue(tx.transitionUnit(unitId, UnitState.PENDING, UnitState.VALID));
      tx.setUnitAcceptance(unitId, 1, UnitAcceptance.ON_TRUST);
      tx.onTrustAccepted(holder.id());
      return null;
    });
  }

  private String audited(Rows.Device auditor, double minRisk) {
    Rows.Placement p = new Rows.Placement(auditor.id(), auditor.ownerKey(), null, null, false);
    return store.transaction(tx -> tx.auditCandidate(p, minRisk)).map(Rows.Unit::id).orElse(null);
  }

  /** A RUNNING job j1 of {@code units} units, two replicas each. */
  private void runningJob(int units) {
    String m = "sha256:" + "1".repeat(64);
    model(m);
    job("j1", m, 0, units, 2);
    assertTrue(ok(tx -> tx.transitionJob("j1", JobState.QUEUED, JobState.RUNNING, T0, null)));
  }

  private double risk(String deviceId) {
    return store.transaction(tx -> tx.deviceTrust(deviceId)).orElseThrow().onTrustRisk();
  }

  @Test
  void auditsGoToTheRiskiestHoldersNewestUnitAndTheRiskMovesWithAudits() {
    runningJob(4);
    Rows.Device h1 = device("h1", "owner:h1");
    Rows.Device h2 = device("h2", "owner:h2");
    Rows.Device x = device("x", "owner:x");
    Rows.Device sibling = device("h1b", "owner:h1");
    acceptedOnTrust("j1-u0", h1, 1);
    acceptedOnTrust("j1-u1", h1, 2);
    acceptedOnTrust("j1-u2", h2, 3);
    assertEquals(2.0, risk("h1"), 1e-12);
    assertEquals(1.0, risk("h2"), 1e-12);
    assertTrue(ok(tx -> tx.awaitingClosingAudits("j1", 1.5)), "h1 is over 1.5");
    assertFalse(ok(tx -> tx.awaitingClosingAudits("j1", 2.0)));

    assertEquals("j1-u1", audited(x, 0), "h1 (risk 2) before h2 (risk 1), its newest unit first");
    assertEquals(null, audited(x, 2.0), "nobody's risk is over 2");
    assertEquals("j1-u2", audited(sibling, 0), "a device of h1's owner may not audit h1: the next holder");
    assertEquals("j1-u1", audited(h2, 1.0), "another holder may audit h1");

    store.transaction(tx -> { // an audit takes no replica slot
      tx.insertAssignment(new Rows.Assignment("audit-1", "j1-u1", "j1", "x", "owner:x", AssignmentState.ISSUED, null,
          T0, T0.plusSeconds(60), null, null, null, null, null, AssignmentKind.AUDIT, null, true));
      return null;
    });
    assertEquals(1.0, risk("h1"), 1e-12, "halved as if the audit will pass");
    assertEquals(1.0, risk("h2"), 1e-12, "only the holder's risk moves");
    assertTrue(ok(tx -> tx.awaitingClosingAudits("j1", 1.5)), "nobody is over 1.5, but an audit is out");
    assertEquals("j1-u0", audited(x, 0), "risks tie at 1 (h1 first by id); u1 is audited already");
    assertTrue(ok(tx -> tx.endAssignment("audit-1", AssignmentState.TIMED_OUT, "late", T0)));
    assertEquals(2.0, risk("h1"), 1e-12, "a lost audit gives the risk back");
    assertTrue(ok(tx -> tx.awaitingClosingAudits("j1", 1.5)), "u0 is still unaudited");

    store.transaction(tx -> {
      tx.halveRisk("h2");
      tx.trustReset("h1", T0.plusSeconds(9));
      return null;
    });
    assertEquals(0.5, risk("h2"), 1e-12, "a passed check halves the risk");
    assertEquals(0.0, risk("h1"), 1e-12, "a conviction leaves nothing on trust");
    assertTrue(ok(tx -> tx.awaitingClosingAudits("j1", 0.25)), "h2 (0.5) holds u2, unaudited");
    assertFalse(ok(tx -> tx.awaitingClosingAudits("j1", 0.5)));

    assertTrue(ok(tx -> tx.transitionJob("j1", JobState.RUNNING, JobState.CANCELLED, T0, "cancelled")));
    assertEquals(null, audited(x, 0), "a cancelled job's results are not audited");
    assertEquals(0.0, risk("h2"), 1e-12, "nothing of h2's work rests on trust any more: its risk is 0");
  }

  @Test
  void streaksAreKeptPerModelAndAFailedCheckResetsThemAll() {
    device("d1", "owner:d");
    store.transaction(tx -> {
      tx.modelPassed("d1", "m1");
      tx.modelPassed("d1", "m1");
      tx.modelPassed("d1", "m2");
      return null;
    });
    assertEquals(2, (int) store.transaction(tx -> tx.modelStreak("d1", "m1")));
    assertEquals(0, (int) store.transaction(tx -> tx.modelStreak("d1", "m3")), "never verified on m3");
    assertEquals(Map.of("m1", 2, "m2", 1), store.transaction(tx -> tx.modelStreaks("d1")));
    store.transaction(tx -> {
      tx.trustReset("d1", T0);
      return null;
    });
    assertEquals(Map.of("m1", 0, "m2", 0), store.transaction(tx -> tx.modelStreaks("d1")));
  }

  @Test
  void holdersWhoseResultsAllHaveAnAuditOutAreSkippedUntilOneIsLost() {
    runningJob(12);
    Rows.Device x = device("x", "owner:x");
    // ten holders of one result each, every one under audit (risk 1, halved to 0.5 in advance)...
    List<Rows.Device> holders = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Rows.Device h = device("h" + i, "owner:h" + i);
      holders.add(h);
      acceptedOnTrust("j1-u" + i, h, i);
      int n = i;
      store.transaction(tx -> {
        tx.insertAssignment(new Rows.Assignment("audit-" + n, "j1-u" + n, "j1", "x", "owner:x",
            AssignmentState.ISSUED, null, T0, T0.plusSeconds(60), null, null, null, null, null, AssignmentKind.AUDIT,
            null, true));
        return null;
      });
    }
    // ...and one less risky holder (0.25) whose result nobody audits yet
    Rows.Device late = device("late", "owner:late");
    acceptedOnTrust("j1-u10", late, 10);
    store.transaction(tx -> {
      tx.halveRisk("late");
      tx.halveRisk("late");
      return null;
    });
    assertTrue(ok(tx -> tx.hasClosingAudits(0.3)), "before anyone looked, the riskiest holders count");
    Rows.Device y = device("y", "owner:y");
    assertEquals("j1-u10", audited(y, 0), "past ten holders with nothing left to audit, the one that has");
    assertEquals(0.5, risk("h3"), 1e-12, "their risk stays until their audits come back");
    assertFalse(ok(tx -> tx.hasClosingAudits(0.3)), "nothing left to audit over 0.3: no waiting device to wake");
    assertTrue(ok(tx -> tx.hasClosingAudits(0.1)), "late (0.125 after its audit) is over 0.1");

    assertTrue(ok(tx -> tx.endAssignment("audit-3", AssignmentState.TIMED_OUT, "late", T0)));
    assertEquals(1.0, risk("h3"), 1e-12);
    assertTrue(ok(tx -> tx.hasClosingAudits(0.3)), "h3's audit was lost: its result is to audit again");
    assertEquals("j1-u3", audited(y, 0.3));
    assertTrue(ok(tx -> tx.awaitingClosingAudits("j1", 0.3)));

    acceptedOnTrust("j1-u11", holders.get(5), 11);
    assertEquals(1.5, risk("h5"), 1e-12);
    assertEquals("j1-u11", audited(y, 1.0), "a new result on trust is to audit: h5 is searched again");
  }

  @Test
  void gradedKnownAnswerChecksAreLeftOutOfAUnitsDecision() {
    String m = "sha256:" + "1".repeat(64);
    model(m);
    job("j1", m, 0, 1, 2);
    Rows.Device a = device("a", "owner:ann");
    Rows.Device b = device("b", "owner:bo");
    Rows.Device c = device("c", "owner:cy");
    Rows.Assignment r = issueAs("r", unitRow("j1-u0"), a, null, false, AssignmentKind.REPLICA);
    store.transaction(tx -> {
      tx.transitionUnit("j1-u0", UnitState.PENDING, UnitState.VALID);
      tx.setCanonical("j1-u0", "[{}]");
      return null;
    });
    Rows.Assignment graded = issueAs("k-graded", unitRow("j1-u0"), b, null, false, AssignmentKind.KNOWN_ANSWER);
    Rows.Assignment open = issueAs("k-open", unitRow("j1-u0"), c, null, false, AssignmentKind.KNOWN_ANSWER);
    assertTrue(ok(tx -> tx.recordResult(r.id(), "[{}]", 1, null, T0) && tx.gradeAssignment(r.id(),
        AssignmentOutcome.VALID)));
    assertTrue(ok(tx -> tx.recordResult(graded.id(), "[{}]", 1, null, T0)
        && tx.gradeAssignment(graded.id(), AssignmentOutcome.VALID)));
    assertEquals(List.of("r", "k-graded", "k-open"),
        store.transaction(tx -> tx.assignmentsOfUnit("j1-u0")).stream().map(Rows.Assignment::id).toList());
    assertEquals(List.of("r"),
        store.transaction(tx -> tx.assignmentsToDecide("j1-u0")).stream().map(Rows.Assignment::id).toList(),
        "checks out or graded change no decision; a replica always counts");
    assertTrue(ok(tx -> tx.recordResult(open.id(), "[{}]", 1, null, T0)));
    assertEquals(List.of("r", "k-open"),
        store.transaction(tx -> tx.assignmentsToDecide("j1-u0")).stream().map(Rows.Assignment::id).toList(),
        "a returned check is graded next");
  }

  @Test
  void liveResultsCountReturnedReplicasButNotChecksOrWithdrawnVotes() {
    String m = "sha256:" + "1".repeat(64);
    model(m);
    job("j1", m, 0, 1, 3);
    Rows.Device a = device("a", "owner:ann");
    Rows.Device b = device("b", "owner:bo");
    Rows.Device c = device("c", "owner:cy");
    Rows.Device k = device("k", "owner:kay");
    assertFalse(ok(tx -> tx.hasReplicaOutOrReturned("j1-u0")));
    Rows.Assignment check = issueAs("k1", unitRow("j1-u0"), k, null, false, AssignmentKind.KNOWN_ANSWER);
    assertFalse(ok(tx -> tx.hasReplicaOutOrReturned("j1-u0")), "a known-answer check is no replica");
    Rows.Assignment ra = issueAs("ra", unitRow("j1-u0"), a, null, false, AssignmentKind.REPLICA);
    Rows.Assignment rb = issueAs("rb", unitRow("j1-u0"), b, null, false, AssignmentKind.REPLICA);
    Rows.Assignment rc = issueAs("rc", unitRow("j1-u0"), c, null, false, AssignmentKind.REPLICA);
    assertTrue(ok(tx -> tx.hasReplicaOutOrReturned("j1-u0")));
    assertEquals(0, live("j1-u0"));
    assertTrue(ok(tx -> tx.recordResult(check.id(), "[{}]", 1, null, T0)));
    assertTrue(ok(tx -> tx.recordResult(ra.id(), "[{}]", 1, null, T0)));
    assertTrue(ok(tx -> tx.recordResult(rb.id(), "[{}]", 1, null, T0)
        && tx.gradeAssignment(rb.id(), AssignmentOutcome.WITHDRAWN)));
    assertTrue(ok(tx -> tx.endAssignment(rc.id(), AssignmentState.TIMED_OUT, "late", T0)));
    assertEquals(1, live("j1-u0"),
        "one returned replica; the check, the withdrawn vote and the timed-out replica do not count");
    assertEquals(store.transaction(tx -> tx.assignmentsToDecide("j1-u0")).stream()
        .filter(x -> x.state() == AssignmentState.RETURNED && x.kind() != AssignmentKind.KNOWN_ANSWER
            && x.outcome() != AssignmentOutcome.WITHDRAWN).count(), live("j1-u0"));
  }

  private int live(String unitId) {
    Integer n = store.transaction(tx -> tx.liveResults(unitId));
    return n;
  }

  @Test
  void aHomogeneousUnitIsPinnedToTheClassOfItsFirstReplica() {
    model("sha256:" + "1".repeat(64));
    job("j1", "sha256:" + "1".repeat(64), 0, 1, 2);
    assertTrue(ok(tx -> tx.pinHrClass("j1-u0", "A")));
    assertTrue(ok(tx -> tx.pinHrClass("j1-u0", "A")));
    assertFalse(ok(tx -> tx.pinHrClass("j1-u0", "B")));
    assertEquals("A", unitRow("j1-u0").hrClass());
  }

  // ------------------------------------------------------------------ V3: supplied known answers

  private Rows.Unit suppliedUnit(Rows.Job j, int i) {
    return new Rows.Unit(j.id() + "-u" + (100 + i), j.id(), -1 - i, 0, 1, 0, 0, UnitState.VALID, j.priority(),
        j.seq(), j.modelId(), 0, "[{\"y\":" + i + "}]");
  }

  @Test
  void suppliedKnownAnswersAreValidUnitsOutsideTheJobAndNeverDispatched() {
    String m = "sha256:" + "1".repeat(64);
    model(m);
    Rows.Job j = job("j1", m, 0, 2, 2);
    store.transaction(tx -> {
      tx.insertKnownAnswer(suppliedUnit(j, 0), "{\"x\":0}", T0);
      tx.insertKnownAnswer(suppliedUnit(j, 1), "{\"x\":1}", T0);
      return null;
    });
    assertEquals(2, (int) store.transaction(tx -> tx.countKnownAnswers("j1")));
    assertEquals("{\"x\":1}", store.transaction(tx -> tx.knownAnswerRecord("j1-u101")).orElseThrow());
    assertTrue(store.transaction(tx -> tx.knownAnswerRecord("j1-u0")).isEmpty(), "an ordinary unit has none");
    Rows.JobProgress progress = store.transaction(tx -> tx.jobProgress("j1"));
    assertEquals(2, progress.unitsTotal(), "not counted as the job's units");
    assertEquals(0, progress.unitsValid());
    assertEquals(List.of("j1-u0", "j1-u1"), store.transaction(tx -> tx.units("j1", 0, 10)).stream()
        .map(Rows.Unit::id).toList(), "not among the job's units (results)");
    Rows.Device d = device("d", "owner:dan");
    assertEquals(List.of("j1-u0", "j1-u1"), candidateIds(d, null, 10), "never dispatched as work");
    assertThrows(IllegalArgumentException.class, () -> store.transaction(tx -> {
      tx.insertKnownAnswer(new Rows.Unit("j1-u9", "j1", 9, 0, 1, 0, 0, UnitState.VALID, 0, j.seq(), m, 0, "[{}]"),
          "{}", T0);
      return null;
    }), "a known answer's idx is negative");
  }

  @Test
  void aSuppliedKnownAnswerIsOneTheDeviceItsOwnerAndNetworkNeverHeld() {
    String m = "sha256:" + "1".repeat(64);
    model(m);
    Rows.Job j = job("j1", m, 0, 1, 2);
    store.transaction(tx -> {
      tx.insertKnownAnswer(suppliedUnit(j, 0), "{}", T0);
      tx.insertKnownAnswer(suppliedUnit(j, 1), "{}", T0);
      return null;
    });
    Rows.Device a = device("a", "owner:ann");
    Rows.Device b = device("b", "owner:ann");
    Rows.Device c = device("c", "owner:cy");
    Rows.Placement pa = new Rows.Placement("a", "owner:ann", null, null, false);
    Rows.Placement pb = new Rows.Placement("b", "owner:ann", null, null, false);
    Rows.Placement pc = new Rows.Placement("c", "owner:cy", "v4:10.0.0.0/24", null, false);
    assertEquals("j1-u100", store.transaction(tx -> tx.suppliedKnownAnswer(pa, m, 0)).orElseThrow().id());
    assertEquals(Vetting.NONE, vetting("a"));
    Rows.Assignment k0 = issueAs("k0", unitRow("j1-u100"), a, "v4:10.0.0.0/24", false, AssignmentKind.KNOWN_ANSWER);
    assertEquals(Vetting.OUT, vetting("a"), "a check is out");
    assertEquals("j1-u101", store.transaction(tx -> tx.suppliedKnownAnswer(pb, m, 0)).orElseThrow().id(),
        "not the one its owner's other device holds");
    assertEquals("j1-u101", store.transaction(tx -> tx.suppliedKnownAnswer(pc, m, 0)).orElseThrow().id(),
        "not the one its network holds");
    assertTrue(store.transaction(tx -> tx.suppliedKnownAnswer(pc, m, 1)).isEmpty());
    assertTrue(store.transaction(tx -> tx.suppliedKnownAnswer(pa, "sha256:" + "9".repeat(64), 0)).isEmpty());
    assertEquals(Vetting.NONE, vetting("b"));
    // an ordinary known-answer check is not a supplied one
    store.transaction(tx -> {
      tx.transitionUnit("j1-u0", UnitState.PENDING, UnitState.VALID);
      return null;
    });
    issueAs("k1", unitRow("j1-u0"), b, null, false, AssignmentKind.KNOWN_ANSWER);
    assertEquals(Vetting.NONE, vetting("b"));
    // graded INVALID: a failed check no longer counts; graded VALID: passed
    assertTrue(ok(tx -> tx.recordResult(k0.id(), "[{}]", 1, null, T0)));
    assertEquals(Vetting.RETURNED, vetting("a"), "returned, waiting for its grade");
    assertTrue(ok(tx -> tx.gradeAssignment(k0.id(), AssignmentOutcome.INVALID)));
    assertEquals(Vetting.NONE, vetting("a"));
    Rows.Assignment k2 = issueAs("k2", unitRow("j1-u101"), a, null, false, AssignmentKind.KNOWN_ANSWER);
    assertTrue(ok(tx -> tx.recordResult(k2.id(), "[{}]", 1, null, T0)));
    assertTrue(ok(tx -> tx.gradeAssignment(k2.id(), AssignmentOutcome.VALID)));
    assertEquals(Vetting.RETURNED, vetting("a"), "passed");
    issueAs("k3", unitRow("j1-u100"), a, null, false, AssignmentKind.KNOWN_ANSWER);
    assertEquals(Vetting.RETURNED, vetting("a"), "a passed check outweighs one out");
  }

  private Vetting vetting(String deviceId) {
    return store.transaction(tx -> tx.suppliedCheck(deviceId));
  }
}
