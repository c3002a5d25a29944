package org.idlegrid.coordinator.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.idlegrid.coordinator.store.AssignmentKind;
import org.idlegrid.coordinator.store.AssignmentOutcome;
import org.idlegrid.coordinator.store.AssignmentState;
import org.idlegrid.coordinator.store.JobState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.UnitState;
import org.idlegrid.coordinator.testing.EngineFixture;
import org.idlegrid.coordinator.trust.TrustPolicy;
import org.idlegrid.protocol.Assignment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backup replicas (speculative execution) of straggling units, on the real engine and SQLite. */
class BackupReplicaTest {
  /** Before any unit is measured, a straggler is one out longer than a quarter of the timeout. */
  static final Duration FALLBACK = EngineFixture.TIMEOUT.dividedBy(4);

  @TempDir
  Path dir;
  EngineFixture f;

  @AfterEach
  void tearDown() {
    if (f != null) {
      f.close();
    }
  }

  private void start(TrustPolicy policy) throws Exception {
    f = new EngineFixture(dir, policy, 1);
    for (String d : List.of("a", "b", "c")) {
      f.device(d, d + "-owner");
    }
  }

  private double replicationFactor(String jobId) {
    Rows.JobProgress p = f.store.transaction(tx -> tx.jobProgress(jobId));
    return (double) p.returnedForValid() / p.unitsValid();
  }

  @Test
  void aUnitWhoseOnlyHolderWentSilentGetsABackupReplicaWhenAnotherDevicePolls() throws Exception {
    start(TrustPolicy.defaults());
    Rows.Job job = f.job(2, 2, 2, 2, 4); // one unit, two replicas, quorum 2
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    f.submit("b", b, 1);
    assertTrue(f.scheduler.claim("c", 1, List.of()).isEmpty(), "nothing pending, and nothing straggles yet");
    f.clock.advance(FALLBACK.minusSeconds(1));
    assertTrue(f.scheduler.claim("c", 1, List.of()).isEmpty(), "a is not a straggler yet");
    assertFalse(f.scheduler.hasWork(), "nothing to wake a waiting device for");
    f.clock.advance(Duration.ofSeconds(1));
    int wakeups = f.wakeups.get();
    f.transitioner.sweepDeadlines();
    assertTrue(f.wakeups.get() > wakeups, "the sweep wakes waiting devices, though nothing timed out");
    assertTrue(f.scheduler.hasWork(), "a straggler to back up");
    Assignment backup = f.claim("c");
    assertEquals(a.unitId(), backup.unitId(), "c backs up the unit a holds");
    assertNotEquals(a.assignmentId(), backup.assignmentId());
    assertEquals(AssignmentKind.REPLICA, f.assignment(backup.assignmentId()).kind());
    assertEquals(0, f.unit(a.unitId()).needed(), "a backup takes no replica slot");

    f.submit("c", backup, 1);
    assertEquals(UnitState.VALID, f.unit(a.unitId()).state(), "b and c form the quorum without a");
    assertEquals(JobState.COMPLETED, f.jobRow(job.id()).state());
    assertEquals(2.0, replicationFactor(job.id()), 1e-9);

    // the straggler's late result is still taken, graded against the canonical, and counted
    assertTrue(f.submit("a", a, 1).done());
    assertEquals(AssignmentOutcome.VALID, f.assignment(a.assignmentId()).outcome());
    assertEquals(3.0, replicationFactor(job.id()), 1e-9, "the extra replica counts as computed");
  }

  @Test
  void anUnvettedDeviceGetsAKnownAnswerCheckInsteadOfABackup() throws Exception {
    start(TrustPolicy.defaults());
    Rows.Job job = f.job(2, 2, 2, 2, 4); // one unit, two replicas, quorum 2
    f.store.transaction(tx -> {
      tx.insertKnownAnswer(new Rows.Unit(job.id() + "-k0", job.id(), -1, 0, 1, 0, 0, UnitState.VALID, 0, job.seq(),
          job.modelId(), 0, "[{\"y\":[101.0]}]"), "{\"x\":[100]}", f.now());
      tx.insertKnownAnswer(new Rows.Unit(job.id() + "-k1", job.id(), -2, 0, 1, 0, 0, UnitState.VALID, 0, job.seq(),
          job.modelId(), 0, "[{\"y\":[102.0]}]"), "{\"x\":[101]}", f.now());
      return null;
    });
    for (String d : List.of("a", "b")) {
      Assignment check = f.claim(d);
      assertEquals(AssignmentKind.KNOWN_ANSWER, f.assignment(check.assignmentId()).kind(), d + " is vetted first");
      f.submit(d, check, 1);
    }
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    assertEquals(a.unitId(), b.unitId());
    f.submit("b", b, 1);
    f.clock.advance(FALLBACK);
    Assignment toC = f.claim("c");
    assertEquals(AssignmentKind.KNOWN_ANSWER, f.assignment(toC.assignmentId()).kind(),
        "a straggler is there to back up, but c has passed no check: a backup is a vote");
    assertTrue(f.scheduler.claim("c", 1, List.of()).isEmpty(), "nothing more while its check is out");
    f.submit("c", toC, 1);
    Assignment backup = f.claim("c");
    assertEquals(a.unitId(), backup.unitId(), "vetted, c backs up the unit a holds");
    assertEquals(AssignmentKind.REPLICA, f.assignment(backup.assignmentId()).kind());
  }

  @Test
  void aUnitStragglesFromItsOldestReplicaStillOutOnceTheNewerOneReturned() throws Exception {
    start(TrustPolicy.defaults());
    f.job(2, 2, 2, 2, 4); // one unit, two replicas, quorum 2
    Assignment a = f.claim("a");
    f.clock.advance(Duration.ofSeconds(30));
    Assignment b = f.claim("b");
    f.clock.advance(FALLBACK.minusSeconds(31));
    assertTrue(f.scheduler.claim("c", 1, List.of()).isEmpty(), "b's replica is young: no straggler yet");
    f.submit("b", b, 1);
    f.clock.advance(Duration.ofSeconds(1));
    Assignment backup = f.claim("c");
    assertEquals(a.unitId(), backup.unitId(),
        "once b returned, only a is out, issued a full straggle time ago: the unit is backed up at once");
  }

  @Test
  void aStragglerThatNeverReturnsTimesOutWithoutAskingForAnotherReplica() throws Exception {
    start(TrustPolicy.defaults());
    Rows.Job job = f.job(1, 1, 1, 1, 3); // one unit, one replica
    Assignment a = f.claim("a");
    f.clock.advance(FALLBACK);
    Assignment backup = f.claim("b");
    assertEquals(a.unitId(), backup.unitId());
    assertTrue(f.scheduler.claim("c", 1, List.of()).isEmpty(), "one backup at a time: b's is fresh");
    f.submit("b", backup, 1);
    assertEquals(UnitState.VALID, f.unit(a.unitId()).state());
    f.clock.advance(EngineFixture.TIMEOUT);
    assertEquals(1, f.transitioner.sweepDeadlines());
    assertEquals(AssignmentState.TIMED_OUT, f.assignment(a.assignmentId()).state());
    assertTrue(f.scheduler.claim("c", 1, List.of()).isEmpty(), "the unit is decided: no replica for the lost one");
    assertEquals(1.0, replicationFactor(job.id()), 1e-9);
  }

  @Test
  void aDeviceNeverBacksUpAUnitItsOwnerAlreadyHolds() throws Exception {
    start(TrustPolicy.defaults());
    f.device("a2", "a-owner");
    f.job(1, 1, 1, 1, 3);
    f.claim("a");
    f.clock.advance(FALLBACK);
    assertTrue(f.scheduler.claim("a2", 1, List.of()).isEmpty(), "same owner: placement rules hold for backups");
  }

  @Test
  void aDeviceBacksUpTheOldestStragglerItMayTakeEvenBehindManyItMayNot() throws Exception {
    start(TrustPolicy.defaults());
    f.job(40, 1, 1, 1, 3); // 40 units of one replica each
    List<Assignment> own = f.scheduler.claim("a", 39, List.of()); // a holds the 39 oldest stragglers
    assertEquals(39, own.size());
    f.clock.advance(Duration.ofSeconds(1));
    Assignment b = f.claim("b"); // the newest: the only straggler a may back up
    f.clock.advance(FALLBACK);
    List<Assignment> backup = f.scheduler.claim("a", 1, List.of());
    assertEquals(1, backup.size(), "found past the oldest few, which a holds itself");
    assertEquals(b.unitId(), backup.get(0).unitId());
  }

  @Test
  void aDeviceSlowerThanTypicalBacksUpOnlyWhatHasStraggledAsLongAsItWouldTakeItself() throws Exception {
    f = new EngineFixture(dir, TrustPolicy.defaults(), 1);
    for (String d : List.of("a", "b", "c", "d", "g", "h", "x")) {
      f.device(d, d + "-owner");
    }
    f.job(3, 1, 2, 2, 4);
    Assignment a = f.claim("a");
    f.submit("b", f.claim("b"), 1);
    f.submit("a", a, 1); // unit 0 decided: the model's time is measured (3 ms a unit)
    assertNull(f.store.transaction(tx -> tx.claimant("a")).orElseThrow().pace(), "its result came before");
    Assignment g = f.claim("g");
    Assignment x = f.claim("x");
    f.clock.advance(Duration.ofMillis(30));
    f.submit("g", g, 1);
    assertEquals(10.0, f.store.transaction(tx -> tx.claimant("g")).orElseThrow().pace(), 1e-9,
        "30 ms for a unit the fleet does in 3 ms");
    Assignment c = f.claim("c");
    f.claim("d");
    f.clock.advance(Duration.ofMillis(6));
    // unit 2 straggles (out 6 ms, a backup waits 3 ms), but g would take 30 ms: it would lose the race
    assertTrue(f.scheduler.claim("g", 1, List.of()).isEmpty(), "unit 1 is g's own; unit 2 is not late enough for g");
    Assignment h = f.claim("h"); // not measured yet: a typical device
    assertEquals(x.unitId(), h.unitId(), "h backs up the oldest straggler");
    f.clock.advance(Duration.ofMillis(24));
    Assignment late = f.claim("g"); // unit 2 has now been out 30 ms: as long as g would take
    assertEquals(c.unitId(), late.unitId());
    assertEquals(AssignmentKind.REPLICA, f.assignment(late.assignmentId()).kind());
  }

  /**
   * Four devices and a job of two units of two replicas: a and b decide the first in 50 ms (each
   * reports 3 ms of compute; the coordinator saw 50 ms, so a backup waits 50 ms), and c and d
   * hold the second, the last one left.
   */
  private void lastUnitOutAfterATurnaroundOf50Ms(TrustPolicy policy) throws Exception {
    start(policy);
    f.device("d", "d-owner");
    f.job(2, 1, 2, 2, 4);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    f.clock.advance(Duration.ofMillis(50));
    f.submit("a", a, 1);
    f.submit("b", b, 1);
    f.claim("c");
    f.claim("d");
  }

  @Test
  void aBackupWaitsForTheModelsTypicalTurnaroundNotItsComputeTimeAlone() throws Exception {
    lastUnitOutAfterATurnaroundOf50Ms(TrustPolicy.defaults());
    f.clock.advance(Duration.ofMillis(40)); // 13 compute times, but less than a typical turnaround
    assertTrue(f.scheduler.claim("a", 1, List.of()).isEmpty(), "not a straggler yet");
    f.clock.advance(Duration.ofMillis(10));
    assertEquals(AssignmentKind.REPLICA, f.assignment(f.claim("a").assignmentId()).kind(), "now it is");
  }

  @Test
  void inAJobsEndgameAStragglerIsBackedUpAfterAQuarterOfTheUsualWait() throws Exception {
    // the endgame is the last half of the job's units here (1% by default): one unit of two left is in it
    lastUnitOutAfterATurnaroundOf50Ms(TrustPolicy.defaults().withEndgame(0.5, 0.25));
    f.clock.advance(Duration.ofMillis(11));
    assertTrue(f.scheduler.claim("a", 1, List.of()).isEmpty(), "11 ms: under a quarter of the wait");
    assertFalse(f.scheduler.hasWork(), "nothing to wake a waiting device for yet");
    f.clock.advance(Duration.ofMillis(1));
    assertTrue(f.scheduler.claim("a", 1, List.of()).isEmpty(), "12 ms: still under 12.5");
    f.clock.advance(Duration.ofMillis(1));
    assertTrue(f.scheduler.hasWork(), "13 ms: the endgame's straggler");
    assertEquals(AssignmentKind.REPLICA, f.assignment(f.claim("a").assignmentId()).kind(), "backed up");
  }

  @Test
  void outsideTheEndgameAStragglerWaitsTheWholeWait() throws Exception {
    // one unit of two left is not the last 40%
    lastUnitOutAfterATurnaroundOf50Ms(TrustPolicy.defaults().withEndgame(0.4, 0.25));
    f.clock.advance(Duration.ofMillis(49));
    assertTrue(f.scheduler.claim("a", 1, List.of()).isEmpty(), "49 ms: not yet");
    f.clock.advance(Duration.ofMillis(1));
    assertEquals(AssignmentKind.REPLICA, f.assignment(f.claim("a").assignmentId()).kind(), "50 ms: backed up");
  }

  @Test
  void aJobsLastUnitsAreNotItsEndgameWhileTheyOutnumberTheIdleShareOfTheFleet() throws Exception {
    start(TrustPolicy.defaults().withEndgame(0.5, 0.25)); // half of the job, half of the fleet
    f.device("d", "d-owner");
    f.job(8, 1, 1, 1, 3); // eight units of one replica each
    for (int i = 0; i < 5; i++) {
      f.submit("a", f.claim("a"), 1);
    }
    // three units left: within half of the job's eight, but more than half of the four devices
    String first = f.claim("a").unitId();
    Assignment b = f.claim("b");
    f.claim("c");
    f.clock.advance(FALLBACK.dividedBy(4).plusMillis(1));
    assertTrue(f.scheduler.claim("d", 1, List.of()).isEmpty(), "not the endgame: nothing straggles yet");
    f.submit("b", b, 1); // two left: as many as half the fleet, the endgame
    Assignment backup = f.claim("d");
    assertEquals(first, backup.unitId(), "the oldest straggler, backed up after a quarter of the wait");
  }

  @Test
  void backupsOffLeavesTheStragglerAloneUntilItsDeadline() throws Exception {
    start(TrustPolicy.defaults().withBackupAfter(0));
    f.job(1, 1, 1, 1, 3);
    f.claim("a");
    f.clock.advance(EngineFixture.TIMEOUT.minusSeconds(1));
    assertTrue(f.scheduler.claim("b", 1, List.of()).isEmpty());
  }
}
