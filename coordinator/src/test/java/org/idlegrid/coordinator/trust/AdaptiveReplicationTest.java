package org.idlegrid.coordinator.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.idlegrid.coordinator.store.AssignmentKind;
import org.idlegrid.coordinator.store.AssignmentOutcome;
import org.idlegrid.coordinator.store.DeviceState;
import org.idlegrid.coordinator.store.JobState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.UnitAcceptance;
import org.idlegrid.coordinator.store.UnitState;
import org.idlegrid.coordinator.testing.EngineFixture;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.Assignment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adaptive replication, spot checks, known answers and their consequences, on the real engine and SQLite. */
class AdaptiveReplicationTest {
  @TempDir
  Path dir;
  EngineFixture f;

  /**
   * Trust after 2 verified results; spot checks with probability {@code p}; known answers for
   * {@code ka} of them; no closing audits (a job completes when its last unit is valid), so that
   * the other mechanisms can be driven one at a time.
   */
  private void start(double p, double ka) throws IOException {
    TrustPolicy policy = new TrustPolicy(2, 1e9, p, ka, 4, 0.5, 20, 0.8, true, 0).withRiskBudget(0);
    f = new EngineFixture(dir, policy, 7);
    for (String d : List.of("a", "b", "c", "d", "e")) {
      f.device(d, d + "-owner");
    }
  }

  /** As {@link #start} with spot checks never drawn and the given risk budget. */
  private void startWithRiskBudget(double budget) throws IOException {
    TrustPolicy policy = new TrustPolicy(2, 1e9, 1e-9, 0, 4, 0.5, 20, 0.8, true, 0, true, 2.0, budget);
    f = new EngineFixture(dir, policy, 7);
    for (String d : List.of("a", "b", "c", "d", "e")) {
      f.device(d, d + "-owner");
    }
  }

  private boolean verifying(String jobId) {
    Boolean v = f.store.transaction(tx -> tx.verifying(jobId));
    return v;
  }

  private double risk(String device) {
    return f.store.transaction(tx -> tx.deviceTrust(device)).orElseThrow().onTrustRisk();
  }

  @AfterEach
  void tearDown() {
    if (f != null) {
      f.close();
    }
  }

  /** a and b compute {@code n} replicated units together, honestly. */
  private void earnTrust(String x, String y, int n) {
    for (int i = 0; i < n; i++) {
      Assignment a = f.claim(x);
      Assignment b = f.claim(y);
      assertEquals(a.unitId(), b.unitId());
      f.submit(x, a, 1);
      f.submit(y, b, 1);
      assertEquals(UnitState.VALID, f.unit(a.unitId()).state());
    }
  }

  /** The devices take turns computing honestly until nobody gets work. */
  private void runHonest(List<String> devices) {
    boolean progress = true;
    while (progress) {
      progress = false;
      for (String d : devices) {
        for (Assignment x : f.scheduler.claim(d, 1, List.of())) {
          f.submit(d, x, 1);
          progress = true;
        }
      }
    }
  }

  private AssignmentKind kind(Assignment a) {
    return f.assignment(a.assignmentId()).kind();
  }

  private int streak(String device) {
    return f.store.transaction(tx -> tx.deviceTrust(device)).orElseThrow().streak();
  }

  @Test
  void aTrustedDeviceGetsFreshUnitsAloneAndTheyAreAcceptedWithoutASecondReplica() throws Exception {
    start(1e-9, 0);
    Rows.Job job = f.job(6, 1, 2, 2, 5);
    Assignment first = f.claim("a");
    assertEquals(AssignmentKind.REPLICA, kind(first), "a new device always gets replicated work");
    f.submit("a", first, 1);
    f.submit("b", f.claim("b"), 1);
    assertEquals(1, streak("a"));
    earnTrust("a", "b", 1);
    assertEquals(2, streak("a"));

    Assignment alone = f.claim("a");
    assertEquals(AssignmentKind.ON_TRUST, kind(alone));
    Rows.Unit u = f.unit(alone.unitId());
    assertEquals(0, u.needed(), "nobody else gets a replica");
    assertEquals(UnitAcceptance.ON_TRUST, u.acceptance());
    assertEquals(1, u.quorum());
    Assignment other = f.claim("c");
    assertTrue(!other.unitId().equals(alone.unitId()));
    f.submit("a", alone, 1);
    assertEquals(UnitState.VALID, f.unit(alone.unitId()).state());
    assertEquals(2, streak("a"), "a result accepted on trust does not raise the streak");
    assertTrue(f.deviceRow("a").credit() > 0);
    assertEquals(JobState.RUNNING, f.jobRow(job.id()).state());
  }

  @Test
  void aJobThatTurnsAdaptiveReplicationOffIsAlwaysReplicated() throws Exception {
    start(1e-9, 0);
    f.job(4, 1, 2, 2, 5);
    earnTrust("a", "b", 2);
    Rows.Job strict = f.store.transaction(tx -> {
      Rows.Job j = f.jobRow("j1");
      Rows.Job copy = new Rows.Job("strict", 0, "alice", "strict", j.modelId(), j.inputBlob(), 2, 1, 9, 2, 2, 5,
          j.compareJson(), JobState.QUEUED, f.now(), null, null, false, false);
      tx.insertJob(copy);
      Rows.Job stored = tx.job("strict").orElseThrow();
      tx.insertUnits(List.of(new Rows.Unit("strict-u0", "strict", 0, 0, 1, 0, 9, UnitState.PENDING, 9, stored.seq(),
          j.modelId(), 2, null)));
      return stored;
    });
    Assignment a = f.claim("a");
    assertEquals("strict-u0", a.unitId(), "the higher priority job first");
    assertEquals(AssignmentKind.REPLICA, kind(a));
    assertEquals(1, f.unit("strict-u0").needed());
    assertFalse(strict.adaptive());
  }

  @Test
  void aFailedSpotCheckReopensEveryResultAcceptedOnTrustAndTheJobEndsWithCorrectResultsOnly() throws Exception {
    start(0.35, 0);
    Rows.Job job = f.job(40, 1, 2, 2, 5);
    earnTrust("a", "b", 2);
    // a cheats on everything from now on; collect what it got accepted on trust until a check catches it
    List<Assignment> onTrust = new ArrayList<>();
    Assignment check = null;
    while (check == null) {
      Assignment x = f.claim("a");
      if (kind(x) == AssignmentKind.ON_TRUST) {
        f.submit("a", x, 9);
        assertEquals(UnitState.VALID, f.unit(x.unitId()).state(), "accepted on trust, for now");
        onTrust.add(x);
      } else {
        check = x;
      }
    }
    assertTrue(onTrust.size() >= 1, "the seed gives some units on trust before the check");
    double creditBefore = f.deviceRow("a").credit();
    assertTrue(creditBefore > 0);
    f.submit("a", check, 9);
    Assignment verifier = f.claim("c");
    assertEquals(check.unitId(), verifier.unitId(), "the spot check is a second replica");
    f.submit("c", verifier, 1);
    Assignment tieBreak = f.claim("d");
    assertEquals(check.unitId(), tieBreak.unitId());
    f.submit("d", tieBreak, 1);
    Assignment third = f.claim("e"); // a disputed unit needs three agreeing results
    assertEquals(check.unitId(), third.unitId());
    f.submit("e", third, 1);

    assertEquals(AssignmentOutcome.INVALID, f.assignment(check.assignmentId()).outcome());
    assertEquals(0, streak("a"), "trust reset");
    for (Assignment x : onTrust) {
      assertEquals(AssignmentOutcome.WITHDRAWN, f.assignment(x.assignmentId()).outcome());
      Rows.Unit u = f.unit(x.unitId());
      assertEquals(UnitState.IN_PROGRESS, u.state(), "re-opened");
      assertEquals(UnitAcceptance.REPLICATED, u.acceptance());
      assertEquals(2, u.needed());
    }
    double kept = f.store.transaction(tx -> tx.ledgerOfDevice("a")).stream().mapToDouble(Rows.LedgerEntry::amount).sum();
    assertEquals(f.deviceRow("a").credit(), kept, 1e-9, "devices.credit is the ledger's sum");
    assertTrue(kept < creditBefore, "credit for withdrawn results was reversed");

    // honest devices finish everything
    runHonest(List.of("b", "c", "d", "e"));
    assertEquals(JobState.COMPLETED, f.jobRow(job.id()).state());
    for (Rows.Unit u : f.store.transaction(tx -> tx.units(job.id(), 0, 100))) {
      assertEquals(UnitState.VALID, u.state());
      double y = Json.tree(u.canonicalJson()).get(0).get("y").get(0).asDouble();
      assertEquals(u.recordStart() + 1.0, y, 1e-9, "only correct results: unit " + u.idx());
    }
  }

  @Test
  void aCheaterCaughtLaterReopensAJobThatHadCompleted() throws Exception {
    start(1e-9, 0);
    Rows.Job warmup = f.job(2, 1, 2, 2, 5);
    earnTrust("a", "b", 2);
    assertEquals(JobState.COMPLETED, f.jobRow(warmup.id()).state());
    Rows.Job small = f.job(2, 1, 2, 2, 5);
    Assignment x = f.claim("a");
    Assignment y = f.claim("a");
    assertEquals(AssignmentKind.ON_TRUST, kind(x));
    assertEquals(AssignmentKind.ON_TRUST, kind(y));
    f.submit("a", x, 9);
    f.submit("a", y, 9);
    assertEquals(JobState.COMPLETED, f.jobRow(small.id()).state(), "wrong, but accepted on trust");

    // a is caught: a replicated unit in which it disagrees with two honest devices
    Rows.Job probe = f.job(1, 1, 2, 2, 5);
    Assignment pc = f.claim("c");
    Assignment pa = f.claim("a");
    assertEquals(pc.unitId(), pa.unitId());
    assertEquals(AssignmentKind.REPLICA, kind(pa), "a unit someone else holds is never taken on trust");
    f.submit("a", pa, 9);
    f.submit("c", pc, 1);
    f.submit("d", f.claim("d"), 1);
    f.submit("e", f.claim("e"), 1); // a disputed unit needs three agreeing results
    assertEquals(JobState.COMPLETED, f.jobRow(probe.id()).state());

    assertEquals(JobState.RUNNING, f.jobRow(small.id()).state(), "re-opened for re-verification");
    assertEquals(0, f.store.transaction(tx -> tx.jobProgress(small.id())).unitsValid());
    assertEquals(JobState.RUNNING, f.jobRow(warmup.id()).state(),
        "every vote of a convicted device is withdrawn, also those it cast beside honest devices");
    runHonest(List.of("b", "c", "d", "e"));
    assertEquals(JobState.COMPLETED, f.jobRow(small.id()).state());
    assertEquals(JobState.COMPLETED, f.jobRow(warmup.id()).state());
    for (Rows.Unit u : f.store.transaction(tx -> tx.units(small.id(), 0, 10))) {
      assertEquals(u.recordStart() + 1.0, Json.tree(u.canonicalJson()).get(0).get("y").get(0).asDouble(), 1e-9);
    }
  }

  @Test
  void aKnownAnswerUnitIsAnOrdinaryLookingCopyThatCatchesAWrongAnswer() throws Exception {
    start(1.0, 1.0); // every fresh unit of a trusted device comes with a known-answer check
    Rows.Job job = f.job(12, 1, 2, 2, 5);
    earnTrust("a", "b", 2);
    earnTrust("c", "d", 2); // validated units a has never seen: the known answers
    List<Assignment> got = f.scheduler.claim("a", 2, List.of());
    assertEquals(2, got.size(), "the unit on trust and a check beside it, within the slots");
    Assignment work = got.get(0);
    Assignment check = got.get(1);
    assertEquals(AssignmentKind.ON_TRUST, kind(work));
    assertEquals(AssignmentKind.KNOWN_ANSWER, kind(check));
    assertEquals(UnitState.VALID, f.unit(check.unitId()).state());
    assertEquals(job.id(), check.jobId());
    assertTrue(check.records().size() == 1 && check.signature() != null, "shaped like any assignment");
    int validUnits = f.store.transaction(tx -> tx.jobProgress(job.id())).unitsValid();
    f.submit("a", work, 9);
    assertEquals(AssignmentOutcome.VALID, f.assignment(work.assignmentId()).outcome(), "on trust, for now");
    f.submit("a", check, 9);
    assertEquals(AssignmentOutcome.INVALID, f.assignment(check.assignmentId()).outcome());
    assertEquals(0, streak("a"));
    assertEquals(AssignmentOutcome.WITHDRAWN, f.assignment(work.assignmentId()).outcome());
    assertEquals(UnitState.IN_PROGRESS, f.unit(work.unitId()).state());
    assertEquals(UnitState.VALID, f.unit(check.unitId()).state(), "the known answer itself is untouched");
    assertEquals(validUnits - 2, f.store.transaction(tx -> tx.jobProgress(job.id())).unitsValid(),
        "the check counted in no job; the 2 units a validated beside b are re-opened (its votes withdrawn)");
    runHonest(List.of("b", "c", "d", "e"));
    assertEquals(JobState.COMPLETED, f.jobRow(job.id()).state());
  }

  @Test
  void withOneSlotTheKnownAnswerCheckComesAloneAndTheUnitStaysForAnotherDevice() throws Exception {
    start(1.0, 1.0);
    Rows.Job job = f.job(12, 1, 2, 2, 5);
    earnTrust("a", "b", 2);
    earnTrust("c", "d", 2);
    int pending = f.store.transaction(tx -> tx.jobProgress(job.id())).unitsTotal()
        - f.store.transaction(tx -> tx.jobProgress(job.id())).unitsValid();
    Assignment only = f.claim("a");
    assertEquals(AssignmentKind.KNOWN_ANSWER, kind(only));
    assertEquals(UnitState.VALID, f.unit(only.unitId()).state());
    f.submit("a", only, 1);
    assertEquals(AssignmentOutcome.VALID, f.assignment(only.assignmentId()).outcome());
    assertEquals(3, streak("a"), "a passed check raises the streak");
    assertEquals(pending, f.store.transaction(tx -> tx.jobProgress(job.id())).unitsTotal()
        - f.store.transaction(tx -> tx.jobProgress(job.id())).unitsValid(), "the check changed no job progress");
  }

  @Test
  void anIdleDeviceAuditsAUnitAcceptedOnTrustAndADisagreementIsSettledByAQuorum() throws Exception {
    start(1e-9, 0);
    Rows.Job job = f.job(3, 1, 2, 2, 5);
    earnTrust("a", "b", 2);
    Assignment alone = f.claim("a");
    assertEquals(AssignmentKind.ON_TRUST, kind(alone));
    f.submit("a", alone, 9);
    assertEquals(JobState.COMPLETED, f.jobRow(job.id()).state(), "wrong, accepted on trust");

    Assignment audit = null;
    for (int i = 0; i < 100 && audit == null; i++) { // a share of idle polls is answered with an audit
      List<Assignment> got = f.scheduler.claim("c", 1, List.of());
      audit = got.isEmpty() ? null : got.get(0);
    }
    assertNotNull(audit, "an idle device is given an audit");
    assertEquals(AssignmentKind.AUDIT, kind(audit));
    assertEquals(alone.unitId(), audit.unitId());
    f.submit("c", audit, 1);
    assertEquals(UnitState.IN_PROGRESS, f.unit(alone.unitId()).state(), "the disagreement re-opens the unit");
    assertEquals(JobState.RUNNING, f.jobRow(job.id()).state());
    assertEquals(2, f.unit(alone.unitId()).needed(),
        "a dispute's quorum is three: both results the audit's class lacks are asked for at once");
    Assignment tieBreak = f.claim("d");
    Assignment third = f.claim("e");
    assertEquals(alone.unitId(), tieBreak.unitId());
    assertEquals(alone.unitId(), third.unitId(), "in parallel, not one round after the other");
    f.submit("d", tieBreak, 1);
    assertEquals(UnitState.IN_PROGRESS, f.unit(alone.unitId()).state(), "disputed: three must agree");
    f.submit("e", third, 1);
    assertEquals(UnitState.VALID, f.unit(alone.unitId()).state());
    runHonest(List.of("b", "c", "d", "e")); // a's other votes were withdrawn and are recomputed
    assertEquals(JobState.COMPLETED, f.jobRow(job.id()).state());
    Rows.Unit u = f.unit(alone.unitId());
    assertEquals(u.recordStart() + 1.0, Json.tree(u.canonicalJson()).get(0).get("y").get(0).asDouble(), 1e-9);
    assertEquals(AssignmentOutcome.INVALID, f.assignment(alone.assignmentId()).outcome());
    assertEquals(AssignmentOutcome.VALID, f.assignment(audit.assignmentId()).outcome());
    assertEquals(0, streak("a"), "the device that lost is convicted");
  }

  @Test
  void trustEarnedOnOneModelBuysNoUncheckedResultsOfAnother() throws Exception {
    start(1e-9, 0);
    f.job(4, 1, 2, 2, 5);
    earnTrust("a", "b", 2); // trusted: on the device, and on model 1
    String model2 = "sha256:" + "2".repeat(64);
    Rows.Job other = f.job(6, 1, 2, 2, 5, "{\"mode\":\"allclose\",\"atol\":1.0E-4,\"rtol\":0.001}", model2, 5);
    Assignment first = f.claim("a");
    assertEquals(other.id(), first.jobId());
    assertEquals(AssignmentKind.REPLICA, kind(first), "a trusted device, but new to model 2: replicated");
    f.submit("a", first, 1);
    Assignment pair = f.claim("b");
    assertEquals(first.unitId(), pair.unitId());
    f.submit("b", pair, 1);
    Assignment second = f.claim("a");
    assertEquals(AssignmentKind.REPLICA, kind(second), "one verified result of model 2 is not enough");
    f.submit("a", second, 1);
    f.submit("b", f.claim("b"), 1);
    assertEquals(4, streak("a"));
    assertEquals(Map.of("sha256:" + "1".repeat(64), 2, model2, 2), f.store.transaction(tx -> tx.modelStreaks("a")));
    Assignment alone = f.claim("a");
    assertEquals(other.id(), alone.jobId());
    assertEquals(AssignmentKind.ON_TRUST, kind(alone), "trusted on model 2 now");
  }

  @Test
  void aStragglingUnitOnTrustIsBackedUpOnlyByADeviceTrustedOnItsModel() throws Exception {
    start(1e-9, 0);
    f.job(4, 1, 2, 2, 5);
    earnTrust("a", "b", 2);
    earnTrust("c", "d", 2); // all four trusted on model 1
    String model2 = "sha256:" + "2".repeat(64);
    f.job(3, 1, 2, 2, 5, "{\"mode\":\"allclose\",\"atol\":1.0E-4,\"rtol\":0.001}", model2, 0);
    earnTrust("a", "b", 2); // a and b trusted on model 2 as well
    Assignment alone = f.claim("a");
    assertEquals(AssignmentKind.ON_TRUST, kind(alone));
    f.clock.advance(Duration.ofSeconds(1)); // a straggles: model 2 measured at 3 ms a unit
    assertTrue(f.scheduler.claim("c", 1, List.of()).isEmpty(),
        "c is trusted, but not on model 2: its backup would be accepted on trust");
    Assignment backup = f.claim("b");
    assertEquals(alone.unitId(), backup.unitId(), "b, trusted on model 2, backs it up");
    assertEquals(AssignmentKind.ON_TRUST, kind(backup));
  }

  @Test
  void aFinishedJobWaitsForClosingAuditsOfTheRiskiestHoldersNewestResultsFirst() throws Exception {
    startWithRiskBudget(0.75);
    Rows.Job job = f.job(6, 1, 2, 2, 5);
    earnTrust("a", "b", 2);
    List<String> onTrust = new ArrayList<>();
    for (int i = 0; i < 3; i++) { // a: 3 results on trust, risk 3; b: 1, risk 1
      Assignment x = f.claim("a");
      assertEquals(AssignmentKind.ON_TRUST, kind(x));
      f.submit("a", x, 1);
      onTrust.add(x.unitId());
    }
    Assignment y = f.claim("b");
    assertEquals(AssignmentKind.ON_TRUST, kind(y));
    f.submit("b", y, 1);
    assertEquals(3.0, risk("a"), 1e-12);
    assertEquals(1.0, risk("b"), 1e-12);
    assertEquals(6, f.store.transaction(tx -> tx.jobProgress(job.id())).unitsValid(), "every unit is valid...");
    assertEquals(JobState.RUNNING, f.jobRow(job.id()).state(), "...but a and b are over the risk budget");
    assertTrue(verifying(job.id()), "the job status says verifying");

    Assignment first = f.claim("c"); // nothing left to compute: closing audits
    assertEquals(AssignmentKind.AUDIT, kind(first));
    assertEquals(onTrust.get(2), first.unitId(), "the riskiest holder's newest result");
    assertEquals(1.5, risk("a"), 1e-12, "halved when the audit is issued, so the next one goes elsewhere if riskier");
    Assignment second = f.claim("d");
    assertEquals(onTrust.get(1), second.unitId(), "a (1.5) is still riskier than b (1)");
    Assignment third = f.claim("e");
    assertEquals(y.unitId(), third.unitId(), "then b (1 > 0.75 = a)");
    f.transitioner.sweepDeadlines();
    assertEquals(JobState.RUNNING, f.jobRow(job.id()).state(), "nobody is over the budget, but audits are out");

    f.submit("c", first, 1);
    f.submit("d", second, 1);
    f.submit("e", third, 1);
    assertEquals(UnitAcceptance.REPLICATED, f.unit(first.unitId()).acceptance(), "verified by two devices");
    assertEquals(4, streak("a"), "a passed two checks");
    assertEquals(0.75, risk("a"), 1e-12, "halved once per audit, not again when it passes");
    assertEquals(JobState.COMPLETED, f.jobRow(job.id()).state(), "closing audits done: complete at once");
    assertFalse(verifying(job.id()));
  }

  @Test
  void aJobWaitsForClosingAuditsNoLongerThanThreeAssignmentTimeouts() throws Exception {
    startWithRiskBudget(0.5);
    Rows.Job job = f.job(3, 1, 2, 2, 5);
    earnTrust("a", "b", 2);
    f.submit("a", f.claim("a"), 1); // the last unit, on trust: nobody audits it
    f.transitioner.sweepDeadlines();
    assertEquals(JobState.RUNNING, f.jobRow(job.id()).state());
    f.clock.advance(EngineFixture.TIMEOUT.multipliedBy(3).minusSeconds(1));
    f.transitioner.sweepDeadlines();
    assertEquals(JobState.RUNNING, f.jobRow(job.id()).state());
    f.clock.advance(Duration.ofSeconds(1));
    f.transitioner.sweepDeadlines();
    assertEquals(JobState.COMPLETED, f.jobRow(job.id()).state(), "a fleet with nobody to audit holds no job forever");
  }

  @Test
  void aLostAuditGivesItsHolderItsRiskBack() throws Exception {
    startWithRiskBudget(0.5);
    f.job(3, 1, 2, 2, 5);
    earnTrust("a", "b", 2);
    f.submit("a", f.claim("a"), 1);
    Assignment audit = f.claim("c");
    assertEquals(AssignmentKind.AUDIT, kind(audit));
    assertEquals(0.5, risk("a"), 1e-12);
    f.clock.advance(EngineFixture.TIMEOUT);
    f.transitioner.sweepDeadlines();
    assertEquals(1.0, risk("a"), 1e-12, "the audit timed out: a's result is unchecked again");
  }

  @Test
  void aStragglingAuditIsWrittenOffAndTheResultAuditedByAnotherDevice() throws Exception {
    startWithRiskBudget(0.5);
    Rows.Job job = f.job(3, 1, 2, 2, 5);
    earnTrust("a", "b", 2); // measures the model: 3 ms per unit, so an audit straggles after 6 ms
    Assignment alone = f.claim("a");
    f.submit("a", alone, 1);
    Assignment slow = f.claim("c");
    assertEquals(AssignmentKind.AUDIT, kind(slow));
    assertTrue(f.scheduler.claim("d", 1, List.of()).isEmpty(), "a's only result is under audit");
    f.clock.advance(Duration.ofSeconds(1));
    f.transitioner.sweepDeadlines();
    assertEquals(1.0, risk("a"), 1e-12, "written off: the risk halved in advance comes back");
    Assignment again = f.claim("d");
    assertEquals(AssignmentKind.AUDIT, kind(again));
    assertEquals(alone.unitId(), again.unitId(), "the result is audited by another device");
    f.submit("d", again, 1);
    assertEquals(JobState.COMPLETED, f.jobRow(job.id()).state());
    assertEquals(0.5, risk("a"), 1e-12, "the audit that passed halved it");
    f.submit("c", slow, 1); // the straggler returns after all: graded like any late result
    assertEquals(AssignmentOutcome.VALID, f.assignment(slow.assignmentId()).outcome());
    assertEquals(0.5, risk("a"), 1e-12, "a late result of an audit already decided changes nothing");
  }

  /**
   * Five devices, a risk budget of 1/2, trust after 2, the endgame as given; a job whose last
   * unit a took on trust, so that the job waits for its closing audit, which c holds. The model
   * is measured at 3 ms per unit: an audit straggles after 6 ms, in the endgame after 1.5 ms.
   */
  private void closingAuditOutWithEndgame(double share) throws IOException {
    TrustPolicy policy = new TrustPolicy(2, 1e9, 1e-9, 0, 4, 0.5, 20, 0.8, true, 0, true, 2.0, 0.5)
        .withEndgame(share, 0.25);
    f = new EngineFixture(dir, policy, 7);
    for (String d : List.of("a", "b", "c", "d", "e")) {
      f.device(d, d + "-owner");
    }
    f.job(3, 1, 2, 2, 5);
    earnTrust("a", "b", 2);
    f.submit("a", f.claim("a"), 1);
    assertEquals(AssignmentKind.AUDIT, kind(f.claim("c")));
  }

  /** The clock moves by {@code ms} and the sweep runs; returns a's risk after it. */
  private double riskAfterSweepIn(long ms) {
    f.clock.advance(Duration.ofMillis(ms));
    f.transitioner.sweepDeadlines();
    return risk("a");
  }

  @Test
  void aClosingAuditIsWrittenOffAfterAQuarterOfTheUsualWaitWhileTheFleetIsIdle() throws Exception {
    closingAuditOutWithEndgame(0.2); // one audit out of five devices is within a fifth of the fleet
    assertEquals(0.5, riskAfterSweepIn(1), 1e-12, "1 ms: still out");
    assertEquals(1.0, riskAfterSweepIn(1), 1e-12, "2 ms, over a quarter of 6: written off, the risk comes back");
    assertEquals(AssignmentKind.AUDIT, kind(f.claim("d")), "and another device audits the result");
  }

  @Test
  void aClosingAuditWaitsTheUsualWaitWhileMoreAuditsAreOutThanTheIdleShareOfTheFleet() throws Exception {
    closingAuditOutWithEndgame(0.1); // one audit out is more than a tenth of five devices: the fleet is busy
    assertEquals(0.5, riskAfterSweepIn(5), 1e-12, "5 ms: still out, though the job is in its endgame");
    assertEquals(1.0, riskAfterSweepIn(1), 1e-12, "6 ms: written off");
  }

  @Test
  void aConvictionLeavesNoRisk() throws Exception {
    startWithRiskBudget(1.5); // the second result on trust puts a over it
    f.job(4, 1, 2, 2, 5);
    earnTrust("a", "b", 2);
    f.submit("a", f.claim("a"), 1);
    Assignment wrong = f.claim("a");
    f.submit("a", wrong, 9); // accepted on trust too
    assertEquals(2.0, risk("a"), 1e-12);
    Assignment audit = f.claim("c");
    assertEquals(AssignmentKind.AUDIT, kind(audit), "the riskiest holder's newest result: the wrong one");
    assertEquals(wrong.unitId(), audit.unitId());
    f.submit("c", audit, 1);
    f.submit("d", f.claim("d"), 1);
    f.submit("e", f.claim("e"), 1); // three agree (a disputed unit): the quorum convicts a
    assertEquals(0, streak("a"));
    assertEquals(0.0, risk("a"), "every vote of a convicted device is withdrawn: nothing of it rests on trust");
  }

  @Test
  void anOnTrustUnitWhoseDeviceVanishesBecomesReplicatedWork() throws Exception {
    start(1e-9, 0);
    f.job(4, 1, 2, 2, 5);
    earnTrust("a", "b", 2);
    Assignment alone = f.claim("a");
    assertEquals(AssignmentKind.ON_TRUST, kind(alone));
    f.clock.advance(EngineFixture.TIMEOUT.plus(Duration.ofSeconds(1)));
    assertEquals(1, f.transitioner.sweepDeadlines());
    Rows.Unit u = f.unit(alone.unitId());
    assertEquals(UnitAcceptance.REPLICATED, u.acceptance());
    assertEquals(2, u.needed());
    Assignment c = f.claim("c");
    assertEquals(alone.unitId(), c.unitId());
    assertEquals(AssignmentKind.REPLICA, kind(c), "an untrusted device never takes a unit alone");
    f.submit("c", c, 1);
    assertEquals(UnitState.IN_PROGRESS, f.unit(c.unitId()).state());
    assertEquals(1, f.store.transaction(tx -> tx.deviceTrust("a")).orElseThrow().resultsTimedOut());
  }

  @Test
  void aDeviceIsQuarantinedAtItsSecondInvalidResultWhenNoFurtherResultsCouldSaveIt() throws Exception {
    start(1e-9, 0);
    f.job(20, 1, 2, 2, 5);
    for (int i = 0; i < 2; i++) {
      assertEquals(DeviceState.ACTIVE, f.deviceRow("e").state(), "one invalid result of one is not enough");
      Assignment e = f.claim("e");
      Assignment b = f.claim("b");
      assertEquals(e.unitId(), b.unitId());
      f.submit("e", e, 7);
      f.submit("b", b, 1);
      f.submit("c", f.claim("c"), 1);
      f.submit("d", f.claim("d"), 1); // a disputed unit needs three agreeing results
    }
    Rows.Device e = f.deviceRow("e");
    assertEquals(DeviceState.QUARANTINED, e.state(), "2 of 2 invalid: even two valid results next would leave it at half");
    assertNotNull(e.stateReason());
    assertTrue(e.stateReason().contains("invalid results: 2 of 2"), e.stateReason());
    assertTrue(f.scheduler.claim("e", 1, List.of()).isEmpty());
  }

  @Test
  void replicasOfAUnitNeverShareANetworkWhenItIsKnown() throws Exception {
    start(1e-9, 0);
    f.job(1, 1, 2, 2, 5);
    f.store.transaction(tx -> {
      tx.setDeviceNetwork("a", Networks.prefixOf("203.0.113.5"));
      tx.setDeviceNetwork("b", Networks.prefixOf("203.0.113.9"));
      tx.setDeviceNetwork("c", Networks.prefixOf("198.51.100.9"));
      return null;
    });
    f.claim("a");
    assertTrue(f.scheduler.claim("b", 1, List.of()).isEmpty(), "same /24");
    assertEquals(1, f.scheduler.claim("c", 1, List.of()).size());
  }

  @Test
  void homogeneousJobsKeepAUnitsReplicasInOnePlatformClass() throws Exception {
    start(1e-9, 0);
    Rows.Job base = f.job(1, 1, 2, 2, 5);
    f.store.transaction(tx -> {
      tx.insertJob(new Rows.Job("hr", 0, "alice", "hr", base.modelId(), base.inputBlob(), 1, 1, 5, 2, 2, 5,
          base.compareJson(), JobState.QUEUED, f.now(), null, null, true, true));
      Rows.Job j = tx.job("hr").orElseThrow();
      tx.insertUnits(List.of(new Rows.Unit("hr-u0", "hr", 0, 0, 1, 0, 9, UnitState.PENDING, 5, j.seq(),
          base.modelId(), 2, null)));
      tx.setDevicePlatform("a", null, "OnnxRuntime=1.21.0;linux/amd64");
      tx.setDevicePlatform("b", null, "OnnxRuntime=1.30.0;linux/amd64");
      tx.setDevicePlatform("c", null, "OnnxRuntime=1.21.0;linux/amd64");
      return null;
    });
    assertEquals("hr-u0", f.claim("a").unitId());
    assertEquals(base.id() + "-u0", f.claim("b").unitId(), "another engine version may not replicate hr-u0");
    assertEquals("hr-u0", f.claim("c").unitId());
    assertEquals("OnnxRuntime=1.21.0;linux/amd64", f.unit("hr-u0").hrClass());
  }
}
