package org.idlegrid.coordinator.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.idlegrid.coordinator.store.JobState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.UnitState;
import org.idlegrid.coordinator.testing.EngineFixture;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.Assignment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchedulerTest {
  @TempDir
  Path dir;
  EngineFixture f;

  @BeforeEach
  void setUp() throws Exception {
    f = new EngineFixture(dir);
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  /**
   * In a fleet of twelve or more, a device with no verified result holds at most
   * {@link Scheduler#STRANGER_UNJUDGED} units nobody has judged; a verdict frees one.
   */
  @Test
  void aDeviceWithNoVerifiedResultHoldsOnlyAFewUnjudgedUnits() throws Exception {
    for (String d : List.of("a", "b", "c", "d", "e", "g", "h", "i", "j", "k", "l", "m")) {
      f.device(d, d + "-owner");
    }
    f.store.transaction(tx -> {
      tx.trustPassed("b", f.now(), 10); // b vouches
      return null;
    });
    f.job(10, 1, 2, 2, 5);
    java.util.Set<String> held = new java.util.HashSet<>();
    for (int i = 0; i < Scheduler.STRANGER_UNJUDGED; i++) {
      held.add(f.claimAndSubmit("a", 1).unitId());
    }
    assertTrue(f.scheduler.claim("a", 1, List.of()).isEmpty(), "its results wait for verdicts");
    assertTrue(f.scheduler.waitsForVerdict("a"), "only a verdict lets it claim again");
    assertEquals(1, f.scheduler.claim("c", 1, List.of()).size(), "another stranger still gets work");
    assertFalse(f.scheduler.waitsForVerdict("c"));
    assertFalse(f.scheduler.waitsForVerdict("b"), "b vouches");
    Assignment b = f.claim("b");
    assertTrue(held.contains(b.unitId()), "b cross-checks one of a's units");
    f.judged.clear();
    f.submit("b", b, 1);
    assertEquals(UnitState.VALID, f.unit(b.unitId()).state(), "b vouches: a pair is a quorum");
    assertEquals(List.of("a", "b"), f.judged.stream().sorted().toList(), "the engine says whose results were judged");
    assertFalse(f.scheduler.waitsForVerdict("a"));
    assertEquals(1, f.scheduler.claim("a", 1, List.of()).size(), "a verdict came: a gets work again");
  }

  /**
   * A waiting device is woken in the tier of the pace the coordinator measured for it (never one
   * it claims): fast, not yet measured, slow.
   */
  @Test
  void aWaitingDeviceIsWokenInTheTierOfItsMeasuredPace() throws Exception {
    for (String d : List.of("a", "b", "fast", "slow", "new")) {
      f.device(d, d + "-owner");
    }
    f.job(3, 1, 2, 2, 4);
    Assignment a = f.claim("a");
    f.submit("b", f.claim("b"), 1);
    f.submit("a", a, 1); // unit 0 decided: the model's time per unit is measured (3 ms)
    Assignment fast = f.claim("fast");
    Assignment slow = f.claim("slow");
    f.clock.advance(java.time.Duration.ofMillis(2));
    f.submit("fast", fast, 1); // 2 ms for a unit the fleet does in 3
    f.clock.advance(java.time.Duration.ofMillis(10));
    f.submit("slow", slow, 1); // 12 ms: pace 4

    assertEquals(new Scheduler.Waiting(false, 0), f.scheduler.waiting("fast"));
    assertEquals(new Scheduler.Waiting(false, 1), f.scheduler.waiting("new"), "not measured: typical");
    assertEquals(new Scheduler.Waiting(false, 2), f.scheduler.waiting("slow"));
    assertEquals(1, f.scheduler.waiting("nobody").tier(), "an unknown device is not held and counts as typical");
    assertEquals(0, Scheduler.paceTier(Scheduler.FAST_PACE));
    assertEquals(1, Scheduler.paceTier(Scheduler.SLOW_PACE));
    assertEquals(2, Scheduler.paceTier(Scheduler.SLOW_PACE + 0.01));
  }

  @Test
  void twoDevicesOfOneOwnerNeverGetReplicasOfTheSameUnit() throws Exception {
    f.device("a1", "ann");
    f.device("a2", "ann");
    f.device("b", "ben");
    Rows.Job job = f.job(2, 2, 2, 2, 5);
    Assignment first = f.claim("a1");
    assertTrue(f.scheduler.claim("a2", 1, List.of()).isEmpty());
    assertEquals(first.unitId(), f.claim("b").unitId());
    assertEquals(JobState.RUNNING, f.jobRow(job.id()).state());
    assertEquals(UnitState.IN_PROGRESS, f.unit(first.unitId()).state());
  }

  @Test
  void assignmentsCarryTheUnitsRecordsAndAreSigned() throws Exception {
    f.device("a", null);
    f.job(5, 2, 1, 1, 1);
    List<Assignment> got = f.scheduler.claim("a", 3, List.of());
    assertEquals(3, got.size());
    assertEquals(List.of(Json.tree("{\"x\":[0]}"), Json.tree("{\"x\":[1]}")), got.get(0).records());
    assertEquals(List.of(Json.tree("{\"x\":[4]}")), got.get(2).records());
    assertEquals("/api/v1/blobs/" + "1".repeat(64), got.get(0).model().url());
    assertTrue(got.get(0).signature() != null && got.get(0).keyId() != null);
  }

  @Test
  void higherPriorityFirstThenCachedModelsThenOlderJobs() throws Exception {
    f.device("a", null);
    String m1 = "sha256:" + "1".repeat(64);
    String m2 = "sha256:" + "2".repeat(64);
    Rows.Job old = f.job(1, 1, 1, 1, 1, "{\"mode\":\"exact\"}", m1, 0);
    Rows.Job cached = f.job(1, 1, 1, 1, 1, "{\"mode\":\"exact\"}", m2, 0);
    Rows.Job urgent = f.job(1, 1, 1, 1, 1, "{\"mode\":\"exact\"}", m1, 9);
    List<Assignment> got = f.scheduler.claim("a", 3, List.of(m2));
    assertEquals(List.of(urgent.id(), cached.id(), old.id()), got.stream().map(Assignment::jobId).toList());
  }
}
