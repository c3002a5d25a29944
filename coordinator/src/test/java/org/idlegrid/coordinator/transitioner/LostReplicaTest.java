package org.idlegrid.coordinator.transitioner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.idlegrid.coordinator.store.AssignmentKind;
import org.idlegrid.coordinator.store.AssignmentOutcome;
import org.idlegrid.coordinator.store.AssignmentState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.UnitAcceptance;
import org.idlegrid.coordinator.store.UnitState;
import org.idlegrid.coordinator.testing.EngineFixture;
import org.idlegrid.coordinator.trust.TrustPolicy;
import org.idlegrid.protocol.Assignment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas that are probably lost, replaced before their deadline, on the real engine and SQLite:
 * a device that stopped asking about its work ({@link Heartbeats}; a unit it held on trust becomes
 * replicated work), a unit overdue by
 * {@link Transitioner#OVERDUE} backup waits (and silentAfter), and a disputed unit whose replica
 * straggles.
 * {@code EngineFixture.submit} reports 3 ms of compute per unit and, where the clock does not move
 * between claim and result, the coordinator sees no turnaround: once a unit is decided by two
 * agreeing results, the model's wait is 3 ms and a backup waits 3 ms (backupAfter 1).
 */
class LostReplicaTest {
  @TempDir
  Path dir;
  EngineFixture f;

  @AfterEach
  void tearDown() {
    if (f != null) {
      f.close();
    }
  }

  private void start(TrustPolicy policy, String... devices) throws Exception {
    f = new EngineFixture(dir, policy, 1);
    for (String d : devices) {
      f.device(d, d + "-owner");
    }
  }

  @Test
  void aUnitHeldByADeviceThatStoppedAskingGetsAnotherSlotBeforeItsDeadline() throws Exception {
    start(TrustPolicy.defaults(), "a", "b", "c");
    f.job(1, 1, 2, 2, 4);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    f.heartbeats.asked("a", f.clock.millis()); // a computes, and asks whether its unit is still wanted
    f.submit("b", b, 1);
    f.clock.advance(Heartbeats.DEFAULT_SILENT_AFTER);
    f.transitioner.sweepDeadlines();
    assertEquals(0, f.unit(a.unitId()).needed(), "silent for exactly silentAfter: not yet");

    f.clock.advance(Duration.ofSeconds(1));
    int wakeups = f.wakeups.get();
    f.transitioner.sweepDeadlines();
    assertEquals(1, f.unit(a.unitId()).needed(), "a went quiet: its unit gets another slot");
    assertTrue(f.wakeups.get() > wakeups, "waiting devices are woken for it");
    assertTrue(f.clock.instant().isBefore(f.assignment(a.assignmentId()).deadline()), "long before a's deadline");
    Assignment c = f.claim("c");
    assertEquals(a.unitId(), c.unitId());
    f.submit("c", c, 1);
    assertEquals(UnitState.VALID, f.unit(a.unitId()).state(), "b and c decide it");

    f.transitioner.sweepDeadlines();
    assertEquals(0, f.unit(a.unitId()).needed(), "a silence is answered once");
    assertEquals(AssignmentState.ISSUED, f.assignment(a.assignmentId()).state(), "a's replica stays out");
    assertTrue(f.submit("a", a, 1).done(), "and counts if a comes back with it");
    assertEquals(AssignmentOutcome.VALID, f.assignment(a.assignmentId()).outcome());
  }

  @Test
  void aUnitOnTrustWhoseHolderWentQuietBecomesReplicatedWork() throws Exception {
    // trusted after 2 verified results; spot checks never drawn
    start(new TrustPolicy(2, 1e9, 1e-9, 0, 4, 0.5, 20, 0.8, false, 0, true, 2.0, 0.5), "a", "b", "c");
    f.job(3, 1, 2, 2, 4);
    for (int i = 0; i < 2; i++) { // a and b earn trust together
      Assignment x = f.claim("a");
      f.submit("b", f.claim("b"), 1);
      f.submit("a", x, 1);
    }
    Assignment alone = f.claim("a");
    assertEquals(AssignmentKind.ON_TRUST, f.assignment(alone.assignmentId()).kind(), "a is trusted: unit 2 alone");
    f.heartbeats.asked("a", f.clock.millis());
    f.clock.advance(Heartbeats.DEFAULT_SILENT_AFTER.plusSeconds(1));
    f.transitioner.sweepDeadlines();
    Rows.Unit u = f.unit(alone.unitId());
    assertEquals(UnitAcceptance.REPLICATED, u.acceptance(), "a went quiet: nobody else holds the unit");
    assertEquals(1, u.needed(), "a's replica stays out and counts as one of two");
    Assignment c = f.claim("c");
    assertEquals(alone.unitId(), c.unitId());
    f.submit("c", c, 1);
    assertEquals(UnitState.IN_PROGRESS, f.unit(alone.unitId()).state(), "one result of two");
    f.submit("a", alone, 1); // a comes back with it
    assertEquals(UnitState.VALID, f.unit(alone.unitId()).state());
    assertEquals(AssignmentOutcome.VALID, f.assignment(alone.assignmentId()).outcome());
  }

  @Test
  void aDeviceThatNeverAskedIsLeftToItsDeadline() throws Exception {
    start(TrustPolicy.defaults(), "a", "b");
    f.job(1, 1, 2, 2, 4);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    f.submit("b", b, 1);
    f.clock.advance(Heartbeats.DEFAULT_SILENT_AFTER.multipliedBy(3));
    f.transitioner.sweepDeadlines();
    assertEquals(0, f.unit(a.unitId()).needed(), "a client that never asks would look silent through every unit");
  }

  @Test
  void aDeviceHeardFromAgainIsNotSilent() throws Exception {
    start(TrustPolicy.defaults(), "a", "b");
    f.job(1, 1, 2, 2, 4);
    Assignment a = f.claim("a");
    f.claim("b");
    f.heartbeats.asked("a", f.clock.millis());
    f.clock.advance(Duration.ofSeconds(90));
    f.heartbeats.asked("a", f.clock.millis());
    f.clock.advance(Duration.ofSeconds(90));
    f.transitioner.sweepDeadlines();
    assertEquals(0, f.unit(a.unitId()).needed(), "a asked 90 s ago: it is still there");
  }

  @Test
  void aUnitOverdueByThreeBackupWaitsAndSilentAfterGetsASlotWhileFreshUnitsRemain() throws Exception {
    start(TrustPolicy.defaults(), "a", "b", "c", "d", "e");
    f.job(3, 1, 2, 2, 4);
    f.submit("a", f.claim("a"), 1);
    f.submit("b", f.claim("b"), 1); // unit 0 decided: the model's time is measured, 3 ms
    Assignment c = f.claim("c");
    Assignment d = f.claim("d");
    assertEquals(c.unitId(), d.unitId());
    f.submit("d", d, 1);
    f.clock.advance(Duration.ofMillis(9)); // three backup waits (9 ms), but not yet silentAfter
    f.transitioner.sweepDeadlines();
    assertEquals(0, f.unit(c.unitId()).needed(), "never before silentAfter");

    f.clock.advance(Heartbeats.DEFAULT_SILENT_AFTER.minusMillis(9));
    f.transitioner.sweepDeadlines();
    assertEquals(1, f.unit(c.unitId()).needed(), "c's replica is overdue: another slot, c's stays out");
    Assignment e = f.claim("e");
    assertEquals(c.unitId(), e.unitId(), "the overdue unit comes before the fresh unit 2");
  }

  @Test
  void withBackupsOffNoUnitIsEverOverdue() throws Exception {
    start(TrustPolicy.defaults().withBackupAfter(0), "a", "b", "c", "d");
    f.job(2, 1, 2, 2, 4);
    f.submit("a", f.claim("a"), 1);
    f.submit("b", f.claim("b"), 1);
    Assignment c = f.claim("c");
    f.submit("d", f.claim("d"), 1);
    f.clock.advance(EngineFixture.TIMEOUT.minusSeconds(1));
    f.transitioner.sweepDeadlines();
    assertEquals(0, f.unit(c.unitId()).needed(), "only the deadline replaces it");
  }

  /** A unit of three replicas, quorum 2: d and e disagree while f's replica is still out. */
  private Rows.Unit dispute(Duration fOutFor) throws Exception {
    start(TrustPolicy.defaults(), "a", "b", "c", "d", "e", "f", "g");
    f.job(2, 1, 3, 2, 6);
    Assignment a = f.claim("a");
    Assignment b = f.claim("b");
    f.claim("c");
    f.submit("a", a, 1);
    f.submit("b", b, 1); // unit 0 decided by a and b: 3 ms measured
    Assignment d = f.claim("d");
    Assignment e = f.claim("e");
    Assignment fx = f.claim("f");
    assertEquals(List.of(d.unitId(), d.unitId()), List.of(e.unitId(), fx.unitId()));
    f.submit("d", d, 1);
    f.clock.advance(fOutFor);
    f.submit("e", e, 2);
    return f.unit(d.unitId());
  }

  @Test
  void aDisputedUnitAsksAtOnceForTheResultsItLacksBeyondTheReplicaStillOut() throws Exception {
    // a dispute needs three agreeing results: each class has one, so it lacks two; f's replica
    // (out for no time) may bring one, so it asks for one more now rather than after f's result
    Rows.Unit u = dispute(Duration.ZERO);
    assertEquals(UnitState.IN_PROGRESS, u.state());
    assertEquals(1, u.needed());
  }

  @Test
  void aDisputedUnitNoLongerWaitsOnAReplicaThatStraggles() throws Exception {
    // f's replica has been out longer than a backup waits: it no longer stands in for a result
    Rows.Unit u = dispute(Duration.ofMillis(4));
    assertEquals(UnitState.IN_PROGRESS, u.state());
    assertEquals(2, u.needed());
  }
}
