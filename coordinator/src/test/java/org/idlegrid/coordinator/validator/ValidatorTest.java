package org.idlegrid.coordinator.validator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.idlegrid.coordinator.store.AssignmentOutcome;
import org.idlegrid.coordinator.store.AssignmentState;
import org.idlegrid.coordinator.store.JobState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.UnitState;
import org.idlegrid.coordinator.testing.EngineFixture;
import org.idlegrid.coordinator.trust.TrustPolicy;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.Assignment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidatorTest {
  @TempDir
  Path dir;
  EngineFixture f;

  @BeforeEach
  void setUp() throws Exception {
    f = new EngineFixture(dir);
    for (String d : List.of("a", "b", "c", "d")) {
      f.device(d, d + "-owner");
    }
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  @Test
  void agreeingReplicasMakeTheUnitValidTheJobCompleteAndCreditBothDevices() throws Exception {
    Rows.Job job = f.job(3, 3, 2, 2, 5);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    f.submit("a", a, 2);
    assertEquals(UnitState.IN_PROGRESS, f.unit(a.unitId()).state(), "one result is not a quorum");
    f.submit("b", b, 2.0000001);
    assertEquals(UnitState.VALID, f.unit(a.unitId()).state());
    assertEquals(AssignmentOutcome.VALID, f.assignment(a.assignmentId()).outcome());
    assertEquals(AssignmentOutcome.VALID, f.assignment(b.assignmentId()).outcome());
    assertEquals(JobState.COMPLETED, f.jobRow(job.id()).state());
    assertEquals(3.0, f.deviceRow("a").credit());
    assertEquals(1, f.deviceRow("b").resultsValid());
    assertEquals(Json.tree(EngineFixture.outputs(a, 2)), Json.tree(f.unit(a.unitId()).canonicalJson()));
  }

  @Test
  void aDisputedUnitNeedsOneAgreeingResultMoreThanTheQuorum() throws Exception {
    Rows.Job job = f.job(2, 2, 2, 2, 5);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    f.submit("a", a, 2);
    int wakeupsBefore = f.wakeups.get();
    f.submit("b", b, 3);
    Rows.Unit u = f.unit(a.unitId());
    assertEquals(UnitState.IN_PROGRESS, u.state());
    assertEquals(2, u.needed(), "disputed: 3 agreeing results (a majority of maxReplicas 5), a has 1");
    assertTrue(f.wakeups.get() > wakeupsBefore, "waiting devices are woken for the new replicas");
    assertNull(f.assignment(a.assignmentId()).outcome(), "nobody is graded before the unit is decided");
    Assignment c = f.claim("c");
    assertEquals(a.unitId(), c.unitId());
    f.submit("c", c, 2);
    assertEquals(UnitState.IN_PROGRESS, f.unit(a.unitId()).state(),
        "two agree, as a quorum would; one accomplice of b could have made it two against one");
    Assignment d = f.claim("d");
    assertEquals(a.unitId(), d.unitId());
    assertEquals(List.of(), f.judged, "while the unit waits, its results wait for their verdicts");
    f.submit("d", d, 2);
    assertEquals(UnitState.VALID, f.unit(a.unitId()).state());
    assertEquals(List.of("a", "b", "c", "d"), f.judged.stream().sorted().toList(), "all four were judged");
    assertEquals(AssignmentOutcome.VALID, f.assignment(a.assignmentId()).outcome());
    assertEquals(AssignmentOutcome.INVALID, f.assignment(b.assignmentId()).outcome());
    assertEquals(AssignmentOutcome.VALID, f.assignment(c.assignmentId()).outcome());
    assertEquals(1, f.deviceRow("b").resultsInvalid());
    assertEquals(0.0, f.deviceRow("b").credit());
    assertEquals(JobState.COMPLETED, f.jobRow(job.id()).state());
  }

  /**
   * In a fleet of at least twelve devices, two devices with no verified result behind them (as
   * two colluders that only ever met each other) are not a quorum; once one of them has one, it
   * is. (The fleets of four or five in the other tests are under the rule's floor: there a pair
   * of strangers is a quorum, as {@link #agreeingReplicasMakeTheUnitValidTheJobCompleteAndCreditBothDevices} shows.)
   */
  @Test
  void aQuorumOfStrangersNeedsOneAgreeingResultMoreUntilOneOfThemHasBeenVerified() throws Exception {
    fleetOfTwelve();
    Rows.Job job = f.job(2, 1, 2, 2, 5);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    assertEquals(a.unitId(), b.unitId());
    f.submit("a", a, 2);
    f.submit("b", b, 2);
    Rows.Unit u = f.unit(a.unitId());
    assertEquals(UnitState.IN_PROGRESS, u.state(), "two strangers agreeing are not a quorum");
    assertEquals(1, u.needed(), "one agreeing result more");
    assertNull(f.assignment(a.assignmentId()).outcome());
    Assignment c = f.claim("c");
    assertEquals(a.unitId(), c.unitId());
    f.submit("c", c, 2);
    assertEquals(UnitState.VALID, f.unit(a.unitId()).state());
    assertEquals(1, f.deviceRow("a").resultsValid());

    // a now has a verified result: it vouches for the next pair it is part of
    Assignment a2 = f.claim("a");
    Assignment d = f.claim("d");
    assertEquals(a2.unitId(), d.unitId());
    f.submit("d", d, 2);
    f.submit("a", a2, 2);
    assertEquals(UnitState.VALID, f.unit(a2.unitId()).state(), "a vouches: the quorum, 2");
    assertEquals(JobState.COMPLETED, f.jobRow(job.id()).state());
  }

  /** Eight devices more (twelve in all); the devices named have one verified result each, so they vouch. */
  private void fleetOfTwelve(String... vouching) {
    for (String d : List.of("e", "g", "h", "i", "j", "k", "l", "m")) {
      f.device(d, d + "-owner");
    }
    f.store.transaction(tx -> {
      for (String d : vouching) {
        tx.trustPassed(d, f.now(), 10);
      }
      return null;
    });
  }

  /**
   * In a dispute, a class of strangers needs one agreeing result more than a class with a device
   * that vouches: three cheaters with no record arriving before three honest results no longer
   * win (found in the simulator, 4,000 devices, seed 7).
   */
  @Test
  void inADisputeStrangersNeedOneAgreeingResultMoreThanAClassWithARecord() throws Exception {
    fleetOfTwelve("a");
    Rows.Job job = f.job(1, 1, 2, 2, 8);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    f.submit("a", a, 2);
    f.submit("b", b, 3);
    for (String liar : List.of("c", "d")) {
      f.claimAndSubmit(liar, 3);
    }
    assertEquals(UnitState.IN_PROGRESS, f.unit(a.unitId()).state(), "three strangers agreeing: not enough");
    for (String honest : List.of("e", "g")) {
      f.claimAndSubmit(honest, 2);
    }
    assertEquals(UnitState.VALID, f.unit(a.unitId()).state());
    assertEquals(Json.tree(EngineFixture.outputs(a, 2)), Json.tree(f.unit(a.unitId()).canonicalJson()));
    assertEquals(AssignmentOutcome.INVALID, f.assignment(b.assignmentId()).outcome());
    assertEquals(JobState.COMPLETED, f.jobRow(job.id()).state());
  }

  /** Twelve strangers; a job of one unit (quorum 2, maxReplicas 8) that a (2) and b (3) dispute. */
  private Assignment[] disputeAmongTwelveStrangers() throws Exception {
    fleetOfTwelve();
    f.job(1, 1, 2, 2, 8);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    f.submit("a", a, 2);
    f.submit("b", b, 3);
    return new Assignment[] {a, b};
  }

  /**
   * In a dispute, a class of strangers must also lead by three: four devices of different owners
   * agreeing on one wrong answer outran two honest results in the simulator (100,000 devices,
   * seed 2) and won; now they need three more than the honest class has.
   */
  @Test
  void fourStrangersWhoAgreeDoNotOutvoteTwoUntilTheyLeadByThree() throws Exception {
    Assignment[] ab = disputeAmongTwelveStrangers();
    Assignment a = ab[0];
    Assignment b = ab[1];
    f.claimAndSubmit("c", 3);
    f.claimAndSubmit("d", 3);
    f.claimAndSubmit("e", 2);
    f.claimAndSubmit("g", 3);
    Rows.Unit u = f.unit(a.unitId());
    assertEquals(UnitState.IN_PROGRESS, u.state(), "four strangers against two: not by a margin of three");
    assertTrue(u.needed() >= 1);
    for (String honest : List.of("h", "i", "j", "k", "l")) {
      assertEquals(UnitState.IN_PROGRESS, f.unit(a.unitId()).state());
      f.claimAndSubmit(honest, 2);
    }
    assertEquals(UnitState.VALID, f.unit(a.unitId()).state(), "seven against four");
    assertEquals(Json.tree(EngineFixture.outputs(a, 2)), Json.tree(f.unit(a.unitId()).canonicalJson()));
    assertEquals(AssignmentOutcome.INVALID, f.assignment(b.assignmentId()).outcome());
  }

  @Test
  void againstOneDissenterStrangersStillNeedFourAgreeingResults() throws Exception {
    Assignment a = disputeAmongTwelveStrangers()[0];
    f.claimAndSubmit("c", 2);
    f.claimAndSubmit("d", 2);
    assertEquals(UnitState.IN_PROGRESS, f.unit(a.unitId()).state(), "three strangers: one more");
    f.claimAndSubmit("e", 2);
    assertEquals(UnitState.VALID, f.unit(a.unitId()).state(), "four against one: a margin of three");
  }

  /**
   * maxReplicas counts the results of devices that vouch: strangers' disagreeing results (a pile
   * of cheaters on one unit before any was caught) do not fail the unit before a second
   * maxReplicas.
   */
  @Test
  void strangersResultsDoNotUseUpMaxReplicas() throws Exception {
    fleetOfTwelve();
    Rows.Job job = f.job(1, 1, 2, 2, 3);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    f.submit("a", a, 1);
    f.submit("b", b, 2);
    f.claimAndSubmit("c", 1);
    Rows.Unit u = f.unit(a.unitId());
    assertEquals(UnitState.IN_PROGRESS, u.state(), "3 results of strangers, maxReplicas 3: not failed");
    assertEquals(1, u.needed());
    f.claimAndSubmit("d", 1);
    assertEquals(UnitState.VALID, f.unit(a.unitId()).state());
    assertEquals(AssignmentOutcome.INVALID, f.assignment(b.assignmentId()).outcome());
    assertEquals(JobState.COMPLETED, f.jobRow(job.id()).state());
  }

  @Test
  void devicesThatVouchAndStillDisagreeAfterMaxReplicasFailTheUnit() throws Exception {
    fleetOfTwelve("a", "b", "c");
    Rows.Job job = f.job(1, 1, 2, 2, 3);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    f.submit("a", a, 1);
    f.submit("b", b, 2);
    f.claimAndSubmit("c", 3);
    assertEquals(UnitState.FAILED, f.unit(a.unitId()).state());
    assertEquals(JobState.FAILED, f.jobRow(job.id()).state());
  }

  @Test
  void whereNoMajorityOfMaxReplicasCouldGoFurtherADisputeIsDecidedByTheQuorum() throws Exception {
    f.job(2, 2, 2, 2, 3);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    f.submit("a", a, 2);
    f.submit("b", b, 3);
    assertEquals(1, f.unit(a.unitId()).needed(), "3 agreeing of at most 3 would leave no room: the quorum, 2");
    Assignment c = f.claim("c");
    f.submit("c", c, 2);
    assertEquals(UnitState.VALID, f.unit(a.unitId()).state());
  }

  @Test
  void noQuorumWithinMaxReplicasFailsTheUnitAndTheJob() throws Exception {
    Rows.Job job = f.job(1, 1, 2, 2, 3);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    f.submit("a", a, 1);
    f.submit("b", b, 2);
    Assignment c = f.claim("c");
    f.submit("c", c, 3);
    assertEquals(UnitState.FAILED, f.unit(a.unitId()).state());
    for (Assignment x : List.of(a, b, c)) {
      assertEquals(AssignmentOutcome.INCONCLUSIVE, f.assignment(x.assignmentId()).outcome());
    }
    Rows.Job failed = f.jobRow(job.id());
    assertEquals(JobState.FAILED, failed.state());
    assertTrue(failed.error().contains("quorum"), failed.error());
  }

  @Test
  void theJobsComparePolicyDecidesEquivalence() throws Exception {
    Rows.Job job = f.job(1, 1, 2, 2, 2, "{\"mode\":\"exact\"}", "sha256:" + "2".repeat(64), 0);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    f.submit("a", a, 2);
    f.submit("b", b, 2.0000001);
    assertEquals(UnitState.FAILED, f.unit(a.unitId()).state(), "exact refuses what allclose would accept");
    assertEquals(JobState.FAILED, f.jobRow(job.id()).state());
  }

  @Test
  void validatingAgainChangesNothingAndALateResultIsGradedAgainstTheCanonicalOne() throws Exception {
    f.job(1, 1, 3, 2, 5);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    Assignment c = f.claim("c");
    f.submit("a", a, 2);
    f.submit("b", b, 2);
    assertEquals(UnitState.VALID, f.unit(a.unitId()).state());
    assertEquals(List.of(), f.calledOff, "call-offs are off by default");
    assertEquals(0, f.validator.sweep());
    f.validator.validate(a.unitId());
    assertEquals(1, f.deviceRow("a").resultsValid(), "counted once");
    f.submit("c", c, 5);
    assertEquals(AssignmentOutcome.INVALID, f.assignment(c.assignmentId()).outcome());
    assertEquals(1, f.deviceRow("c").resultsInvalid());
  }

  @Test
  void withCallOffAReplicaStillOutIsCalledOffIfItsDeviceVouchesAndAStrangersIsGradedLate() throws Exception {
    f.close();
    f = new EngineFixture(java.nio.file.Files.createDirectories(dir.resolve("call-off")),
        TrustPolicy.defaults().withCallOff(true), 1);
    for (String d : List.of("a", "b", "c", "d")) {
      f.device(d, d + "-owner");
    }
    f.store.transaction(tx -> {
      tx.trustPassed("c", f.now(), 10); // c has a verified result behind it; d has none
      return null;
    });
    f.job(1, 1, 4, 2, 5);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    Assignment c = f.claim("c");
    Assignment d = f.claim("d");
    f.submit("a", a, 2);
    f.submit("b", b, 2);
    assertEquals(UnitState.VALID, f.unit(a.unitId()).state());
    assertEquals(List.of(c.assignmentId()), f.calledOff, "c's replica would decide nothing");
    assertEquals(AssignmentState.ABORTED, f.assignment(c.assignmentId()).state());
    assertEquals(Validator.CALLED_OFF, f.assignment(c.assignmentId()).reason());
    assertEquals(AssignmentState.ISSUED, f.assignment(d.assignmentId()).state(),
        "a stranger's late result is its check");
    f.validator.validate(a.unitId());
    assertEquals(1, f.calledOff.size(), "called off once");
    assertFalse(f.submit("c", c, 5).done(), "a result for a called-off replica is refused");
    assertEquals(0, f.deviceRow("c").resultsReturned());
    assertTrue(f.submit("d", d, 5).done());
    assertEquals(AssignmentOutcome.INVALID, f.assignment(d.assignmentId()).outcome(), "graded against the canonical");
    assertEquals(1, f.deviceRow("d").resultsInvalid());
  }
}
