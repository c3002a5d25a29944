package org.idlegrid.coordinator.transitioner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.idlegrid.coordinator.store.AssignmentState;
import org.idlegrid.coordinator.store.UnitState;
import org.idlegrid.coordinator.store.JobState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.testing.EngineFixture;
import org.idlegrid.protocol.Assignment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransitionerTest {
  @TempDir
  Path dir;
  EngineFixture f;

  @BeforeEach
  void setUp() throws Exception {
    f = new EngineFixture(dir);
    f.device("a", null);
    f.device("b", null);
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  @Test
  void anAssignmentPastItsDeadlineTimesOutAndItsUnitIsReissued() throws Exception {
    f.job(2, 2, 1, 1, 3);
    Assignment a = f.claim("a");
    assertTrue(f.scheduler.claim("b", 1, List.of()).isEmpty(), "one replica only");
    f.clock.advance(EngineFixture.TIMEOUT.minusSeconds(1));
    assertEquals(0, f.transitioner.sweepDeadlines());
    f.clock.advance(Duration.ofSeconds(1));
    int wakeups = f.wakeups.get();
    assertEquals(1, f.transitioner.sweepDeadlines());
    assertTrue(f.wakeups.get() > wakeups);
    assertEquals(AssignmentState.TIMED_OUT, f.assignment(a.assignmentId()).state());
    Assignment again = f.claim("b");
    assertEquals(a.unitId(), again.unitId());
    assertTrue(f.scheduler.claim("a", 1, List.of()).isEmpty(), "one replica only, and b holds it");
    Transitioner.Outcome late = f.submit("a", a, 1);
    assertEquals(Transitioner.Refusal.NOT_ISSUED, late.refusal());
    assertEquals(AssignmentState.TIMED_OUT, late.state());
  }

  @Test
  void aReplicaLostOnTheOnlyDeviceLeftToTakeItGoesBackToThatDevice() throws Exception {
    f.job(1, 1, 2, 2, 3); // two devices, replicas 2: b returns, a lets its replica time out
    Assignment lost = f.claim("a");
    f.submit("b", f.claim("b"), 1);
    f.clock.advance(EngineFixture.TIMEOUT);
    assertEquals(1, f.transitioner.sweepDeadlines());
    assertTrue(f.scheduler.claim("b", 1, List.of()).isEmpty(), "b returned a result: never a second replica");
    Assignment again = f.claim("a"); // a's lost replica left no vote, so a may take the unit again
    assertEquals(lost.unitId(), again.unitId());
    f.submit("a", again, 1);
    assertEquals(UnitState.VALID, f.unit(lost.unitId()).state(), "finished, by two devices");
  }

  @Test
  void onlyAResultThatCompletesTheQuorumOrComesLateIsLeftToTheValidator() throws Exception {
    f.device("c", null);
    f.job(1, 1, 2, 2, 3);
    Assignment first = f.claim("a");
    Assignment second = f.claim("b");
    Transitioner.Outcome waiting = f.transitioner.recordResult("a", first.assignmentId(),
        EngineFixture.outputs(first, 1), 3, null);
    assertTrue(waiting.done());
    assertFalse(waiting.toValidate(), "one result of a quorum of two: nothing to decide yet");
    assertEquals(UnitState.IN_PROGRESS, f.unit(first.unitId()).state());
    // running the validator anyway changes nothing: skipping it loses nothing
    assertEquals(UnitState.IN_PROGRESS, f.validator.validate(first.unitId()));
    assertEquals(null, f.assignment(first.assignmentId()).outcome());
    Transitioner.Outcome quorum = f.transitioner.recordResult("b", second.assignmentId(),
        EngineFixture.outputs(second, 1), 3, null);
    assertTrue(quorum.toValidate(), "the quorum is complete: the unit is VALIDATING");
    assertEquals(UnitState.VALIDATING, f.unit(first.unitId()).state());
    assertEquals(UnitState.VALID, f.validator.validate(first.unitId()));
    Transitioner.Outcome refused = f.transitioner.recordResult("b", second.assignmentId(),
        EngineFixture.outputs(second, 1), 3, null);
    assertFalse(refused.done());
    assertFalse(refused.toValidate(), "a refused result leaves nothing to validate");
  }

  @Test
  void theDeadlineIsTheIssueTimePlusTheTimeout() throws Exception {
    f.job(1, 1, 1, 1, 1);
    Assignment a = f.claim("a");
    assertEquals(f.now().plus(EngineFixture.TIMEOUT).toString(), a.deadline());
  }

  @Test
  void anAbortedAssignmentIsReissuedAtOnce() throws Exception {
    f.job(1, 1, 1, 1, 1);
    Assignment a = f.claim("a");
    assertEquals(Transitioner.Refusal.NOT_FOUND, f.transitioner.abort("b", a.assignmentId(), "user-active").refusal(),
        "another device cannot abort it");
    assertTrue(f.transitioner.abort("a", a.assignmentId(), "user-active").done());
    assertEquals(AssignmentState.ABORTED, f.assignment(a.assignmentId()).state());
    assertEquals(a.unitId(), f.claim("b").unitId());
    assertEquals(Transitioner.Refusal.NOT_ISSUED, f.transitioner.abort("a", a.assignmentId(), "again").refusal());
  }

  @Test
  void anErrorAbortIsRecordedAsErrored() throws Exception {
    f.job(1, 1, 1, 1, 1);
    Assignment a = f.claim("a");
    f.transitioner.abort("a", a.assignmentId(), "error: out of memory");
    assertEquals(AssignmentState.ERRORED, f.assignment(a.assignmentId()).state());
  }

  @Test
  void aResultIsTakenOnceAndOnlyFromItsDevice() throws Exception {
    f.job(1, 1, 2, 2, 2);
    Assignment a = f.claim("a");
    assertEquals(Transitioner.Refusal.NOT_FOUND, f.submit("b", a, 1).refusal());
    assertTrue(f.submit("a", a, 1).done());
    Transitioner.Outcome twice = f.submit("a", a, 1);
    assertEquals(AssignmentState.RETURNED, twice.state());
    assertEquals(1, f.deviceRow("a").resultsReturned());
  }

  @Test
  void cancellingAJobAbortsItsOutstandingAssignmentsAndStopsDispatch() throws Exception {
    Rows.Job job = f.job(4, 1, 1, 1, 1);
    Assignment a = f.claim("a");
    assertTrue(f.transitioner.cancelJob(job.id()));
    assertFalse(f.transitioner.cancelJob(job.id()));
    assertEquals(JobState.CANCELLED, f.jobRow(job.id()).state());
    assertEquals(AssignmentState.ABORTED, f.assignment(a.assignmentId()).state());
    assertTrue(f.scheduler.claim("b", 4, List.of()).isEmpty());
  }

  @Test
  void banningADeviceReissuesItsWork() throws Exception {
    f.job(1, 1, 1, 1, 1);
    Assignment a = f.claim("a");
    assertTrue(f.transitioner.banDevice("a", "cheating"));
    assertTrue(f.scheduler.claim("a", 1, List.of()).isEmpty());
    assertEquals(a.unitId(), f.claim("b").unitId());
    assertTrue(f.transitioner.releaseDevice("a"));
  }
}
