package org.idlegrid.bench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.idlegrid.json.Json;
import org.junit.jupiter.api.Test;

/** Invariants of small simulations (never timings): the real engine under a simulated fleet. */
class FleetSimulatorTest {

  private static FleetSimulator.Result run(int devices, int units, double cheaters, long seed) throws Exception {
    return new FleetSimulator(new FleetSimulator.Config(devices, units, cheaters, seed, 0.05, null, true)).run();
  }

  @Test
  void noWrongResultIsAcceptedWithTwentyPercentCheatersOfEveryKind() throws Exception {
    FleetSimulator.Result r = run(60, 1500, 0.2, 11);
    assertEquals("COMPLETED", r.jobState());
    assertEquals(0, r.wrongAccepted(), r.toJson());
    assertEquals(0, r.unitsFailed(), r.toJson());
    assertEquals(12, r.cheaters());
    assertTrue(r.cheatersQuarantined() >= 6, "the always-wrong cheaters are quarantined: " + r.toJson());
    assertEquals(r.cheatersQuarantined(), r.quarantined(), "no honest device is quarantined: " + r.toJson());
    assertTrue(r.replicationFactor() <= 2.2, r.toJson());
  }

  /**
   * Two units per device, no known answers: nobody has a record, so identical-answer cheaters
   * meet each other. Before the quorum of strangers this seed accepted 4 wrong units and failed
   * the job (a unit got more cheaters than maxReplicas allowed); docs/verification.md.
   */
  @Test
  void aColdFleetWithTwoUnitsPerDeviceAndNoKnownAnswersAcceptsNoWrongResult() throws Exception {
    FleetSimulator.Result r = run(4000, 8000, 0.2, 3);
    assertEquals("COMPLETED", r.jobState(), r.toJson());
    assertEquals(0, r.wrongAccepted(), r.toJson());
    assertEquals(0, r.unitsFailed(), r.toJson());
    assertEquals(r.cheatersQuarantined(), r.quarantined(), "no honest device ends quarantined: " + r.toJson());
  }

  @Test
  void anHonestFleetWithChurnNeedsLittleReplicationOnceItIsTrusted() throws Exception {
    // idle-time audits off: they only fill idle time (the tail), which this bound is not about
    FleetSimulator.Result r = new FleetSimulator(new FleetSimulator.Config(40, 2000, 0, 5, 0.05, null, true,
        org.idlegrid.coordinator.trust.TrustPolicy.defaults().withIdleAudits(false))).run();
    assertEquals(0, r.idleAudits());
    assertEquals("COMPLETED", r.jobState());
    assertEquals(0, r.wrongAccepted());
    assertEquals(0, r.quarantined(), r.toJson());
    assertTrue(r.churnLosses() > 0, "the fleet churned: " + r.toJson());
    assertTrue(r.replicationAfterWarmup() <= 1.3, r.toJson());
    assertTrue(r.replicationFactor() < 2.0, "adaptive replication beats fixed replication: " + r.toJson());
    assertTrue(r.knownAnswerChecks() > 0, "known-answer checks were mixed in: " + r.toJson());
  }

  @Test
  void suppliedKnownAnswersVetNewDevicesAndCatchCheatersBeforeTheyAreTrusted() throws Exception {
    // many devices, few units each: nobody earns trust, so only the supplied answers can vet them
    FleetSimulator.Result r = new FleetSimulator(new FleetSimulator.Config(300, 600, 0.2, 7, 0.05, null, true,
        org.idlegrid.coordinator.trust.TrustPolicy.defaults(), 20)).run();
    assertEquals("COMPLETED", r.jobState());
    assertEquals(0, r.wrongAccepted(), r.toJson());
    assertTrue(r.knownAnswerChecks() >= 240, "a check for each device that polled: " + r.toJson());
    assertEquals(r.cheatersQuarantined(), r.quarantined(), "no honest device is quarantined: " + r.toJson());
    assertTrue(r.cheatersQuarantined() >= 30, "the always-wrong cheaters fail their checks: " + r.toJson());
  }

  @Test
  void idleDevicesRunTheClosingAuditsAndHonestDevicesPassThem() throws Exception {
    FleetSimulator.Result on = run(40, 2000, 0, 5);
    assertTrue(on.idleAudits() > 0, on.toJson());
    assertEquals(0, on.wrongAccepted());
    assertEquals(0, on.quarantined(), "honest devices pass their audits: " + on.toJson());
  }

  @Test
  void aSeedFixesTheRunAndTheResultIsOneJsonLine() throws Exception {
    FleetSimulator.Result a = run(20, 200, 0.2, 3);
    FleetSimulator.Result b = run(20, 200, 0.2, 3);
    assertEquals(a.results(), b.results());
    assertEquals(a.virtualSeconds(), b.virtualSeconds());
    var json = Json.tree(a.toJson());
    for (String field : new String[] {"wrongAccepted", "replicationFactor", "makespanEfficiency", "quarantined",
        "units", "devices"}) {
      assertTrue(json.has(field), field);
    }
    assertEquals(200, json.get("units").asInt());
    // the makespan's ideal is the work the honest devices did, so it can only exceed the ideal of
    // every unit once (the verification work is replicationFactor's to show, not the makespan's)
    assertTrue(a.makespanEfficiency() >= a.computeEfficiency(), a.toJson());
    assertTrue(a.makespanEfficiency() > 0 && a.makespanEfficiency() <= 1, a.toJson());
    assertTrue(!a.toJson().contains("\n"));
  }

  @Test
  void badOptionsAreRefusedNamingTheOption() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FleetSimulator.parse(new String[] {"--devices", "many"}));
    assertTrue(e.getMessage().contains("--devices"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> FleetSimulator.parse(new String[] {"--cheaters", "0.9"}));
    assertTrue(e.getMessage().contains("--cheaters"), e.getMessage());
    assertEquals(500, FleetSimulator.parse(new String[] {"--devices", "500", "--units", "9"}).devices());
    assertEquals(0, FleetSimulator.parse(new String[] {"--devices", "500", "--units", "9", "--vouch-streak", "0"})
        .policy().vouchStreak(), "--vouch-streak 0 turns the quorum of strangers off");
    e = assertThrows(IllegalArgumentException.class, () -> FleetSimulator.parse(new String[] {"--sweep-every", "7"}));
    assertTrue(e.getMessage().contains("--sweep-every"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> FleetSimulator.parse(new String[] {"--silent-after", "45"}));
    assertTrue(e.getMessage().contains("--silent-after"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> FleetSimulator.parse(new String[] {"--wake-order", "random"}));
    assertTrue(e.getMessage().contains("--wake-order"), e.getMessage());
    FleetSimulator.Config c = FleetSimulator.parse(
        new String[] {"--sweep-every", "5", "--silent-after", "75", "--wake-order", "arrival"});
    assertEquals(5_000, c.sweepEveryMs());
    assertEquals(75, c.silentAfter().toSeconds());
    assertFalse(c.fastestFirst());
    assertTrue(FleetSimulator.parse(new String[0]).fastestFirst(), "the coordinator's wake order by default");
    assertEquals(0.25, FleetSimulator.parse(new String[0]).policy().endgameWait(), 1e-12);
    assertEquals(1.0, FleetSimulator.parse(new String[] {"--endgame-wait", "1"}).policy().endgameWait(), 1e-12,
        "--endgame-wait 1 turns the endgame off");
    e = assertThrows(IllegalArgumentException.class, () -> FleetSimulator.parse(new String[] {"--endgame-wait", "0"}));
    assertTrue(e.getMessage().contains("endgameWait"), e.getMessage());
  }
}
