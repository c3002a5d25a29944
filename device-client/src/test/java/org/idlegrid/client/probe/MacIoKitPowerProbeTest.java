package org.idlegrid.client.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.idlegrid.client.probe.MacIoKitPowerProbe.Source;
import org.idlegrid.client.probe.PowerProbe.Power;
import org.idlegrid.client.probe.PowerProbe.Power.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The IOKit decision on IOPowerSources values (any OS), and the pmset fallback where IOKit is missing. */
class MacIoKitPowerProbeTest {
  static final Source BATTERY_85 = new Source("InternalBattery", 85, 100);

  @Test
  void acPowerWithAnInternalBatteryIsOnAcWithItsPercent() {
    Power p = MacIoKitPowerProbe.interpret("AC Power", List.of(BATTERY_85), false);
    assertEquals(State.AC, p.state());
    assertEquals(85, p.batteryPercent());
    assertTrue(p.hasBattery());
    assertFalse(p.provenDesktop());
    assertFalse(p.saver());
    assertEquals("IOKit: AC Power", p.detail());
  }

  @Test
  void batteryPowerIsOnBatteryAndThePercentIsCurrentOverMax() {
    // an older Intel Mac reports mAh: 2000 of 5000 is 40 %
    Power p = MacIoKitPowerProbe.interpret("Battery Power", List.of(new Source("InternalBattery", 2000, 5000)), false);
    assertEquals(State.BATTERY, p.state());
    assertEquals(40, p.batteryPercent());
  }

  @Test
  void upsPowerIsNotMainsAndAUpsIsNotTheSystemBattery() {
    Power p = MacIoKitPowerProbe.interpret("UPS Power", List.of(new Source("UPS", 60, 100)), false);
    assertEquals(State.BATTERY, p.state());
    assertNull(p.batteryPercent(), "the UPS's charge is not the machine's battery");
  }

  @Test
  void acPowerWithNoInternalBatteryIsAProvenDesktop() {
    assertTrue(MacIoKitPowerProbe.interpret("AC Power", List.of(), false).provenDesktop(), "a Mac mini");
    assertTrue(MacIoKitPowerProbe.interpret("AC Power", List.of(new Source("UPS", 90, 100)), false).provenDesktop(),
        "a Mac mini on a UPS that is on mains");
  }

  @Test
  void anUnknownOrMissingProvidingSourceIsUnknown() {
    Power odd = MacIoKitPowerProbe.interpret("Solar Power", List.of(BATTERY_85), false);
    assertEquals(State.UNKNOWN, odd.state());
    assertTrue(odd.detail().contains("Solar Power"), odd.detail());
    assertEquals(State.UNKNOWN, MacIoKitPowerProbe.interpret(null, List.of(), false).state());
  }

  @Test
  void aBatteryWithoutUsableCapacitiesHasNoPercent() {
    Power p = MacIoKitPowerProbe.interpret("AC Power", List.of(new Source("InternalBattery", 50, 0)), false);
    assertTrue(p.hasBattery());
    assertNull(p.batteryPercent());
    assertEquals(100, MacIoKitPowerProbe.interpret("AC Power",
        List.of(new Source("InternalBattery", 103, 100)), false).batteryPercent(), "clamped to 100");
  }

  @Test
  void lowPowerModeIsTheSaver() {
    assertTrue(MacIoKitPowerProbe.interpret("Battery Power", List.of(BATTERY_85), true).saver());
    assertTrue(MacIoKitPowerProbe.lowPowerMode(Fixtures.text("pmset-g-lowpower.txt")));
    assertFalse(MacIoKitPowerProbe.lowPowerMode(Fixtures.text("pmset-ac-charging.txt")));
  }

  @Test
  @DisabledOnOs(OS.MAC)
  void withoutTheIoKitFrameworkTheProbeIsUnknownAndRunsNoCommand() {
    List<List<String>> ran = new ArrayList<>();
    Power p = new MacIoKitPowerProbe(c -> {
      ran.add(c);
      return Optional.empty();
    }).read();
    assertEquals(State.UNKNOWN, p.state());
    assertTrue(p.detail().startsWith("IOKit power sources unavailable"), p.detail());
    assertEquals(List.of(), ran, "Low Power Mode is only asked when IOKit answered");
  }

  @Test
  @DisabledOnOs(OS.MAC)
  void withoutTheIoKitFrameworkTheMacProbeFallsBackToPmset() {
    // "pmset -g batt" (3 words) → the battery fixture; "pmset -g" → Low Power Mode on
    CommandRunner pmset = c -> Optional.of(Fixtures.text(c.size() == 3 ? "pmset-battery.txt" : "pmset-g-lowpower.txt"));
    Power p = MacIoKitPowerProbe.withPmsetFallback(pmset).read();
    assertEquals(State.BATTERY, p.state());
    assertEquals(42, p.batteryPercent());
    assertTrue(p.saver());
    assertTrue(p.detail().startsWith("pmset"), p.detail());

    Power neither = MacIoKitPowerProbe.withPmsetFallback(Fixtures.none()).read();
    assertEquals(State.UNKNOWN, neither.state());
    assertTrue(neither.detail().contains("IOKit") && neither.detail().contains("pmset -g batt failed"), neither.detail());
  }
}
