package org.idlegrid.client.eligibility;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EligibilityTest {
  @TempDir
  Path tmp;

  static final IdleProbe IDLE_TEN_MINUTES = () -> Optional.of(Duration.ofMinutes(10));

  @Test
  void idleAndChargingFailsClosedWhenItCannotTellWhetherTheDeviceIsIdle() {
    Decision d = new IdleAndCharging(() -> PowerProbe.Power.ac("test"), IdleProbe.none("no idle probe for this OS yet"),
        IdleAndCharging.DEFAULT_IDLE).check();
    assertFalse(d.run());
    assertEquals("cannot tell whether the device is idle: no idle probe for this OS yet", d.reason());
  }

  @Test
  void idleAndChargingFailsClosedWhenItCannotTellThePowerSource() {
    Decision d = new IdleAndCharging(PowerProbe.unknown("no power probe"), IDLE_TEN_MINUTES, IdleAndCharging.DEFAULT_IDLE).check();
    assertFalse(d.run());
    assertTrue(d.reason().startsWith("cannot tell whether the device is on AC power"));
  }

  @Test
  void onBatteryIsRefused() {
    Decision d = new IdleAndCharging(() -> PowerProbe.Power.battery("BAT0"), IDLE_TEN_MINUTES, IdleAndCharging.DEFAULT_IDLE).check();
    assertFalse(d.run());
    assertTrue(d.reason().startsWith("on-battery"));
  }

  @Test
  void recentUserInputIsRefusedAndLongIdleOnAcRuns() {
    IdleProbe justTyped = () -> Optional.of(Duration.ofSeconds(20));
    assertTrue(new IdleAndCharging(() -> PowerProbe.Power.ac("x"), justTyped, IdleAndCharging.DEFAULT_IDLE)
        .check().reason().startsWith("user-active"));
    assertTrue(new IdleAndCharging(() -> PowerProbe.Power.ac("x"), IDLE_TEN_MINUTES, IdleAndCharging.DEFAULT_IDLE).check().run());
  }

  @Test
  void defaultPolicyOnThisMachineRefusesForNowBecauseIdleCannotBeTold() {
    Decision d = Eligibility.forPolicy("idle-and-charging").check();
    assertFalse(d.run());
    assertTrue(d.reason().startsWith("cannot tell whether the device is"), d.reason());
  }

  @Test
  void unknownPolicyNameIsRefusedNamingTheField() {
    var e = assertThrows(IllegalArgumentException.class, () -> Eligibility.forPolicy("sometimes"));
    assertTrue(e.getMessage().startsWith("policy:"));
  }

  @Test
  void pauseFlagRefusesWithReasonPausedUntilResumed() throws Exception {
    Eligibility e = Eligibility.pausable(Eligibility.always(), tmp);
    assertTrue(e.check().run());
    PauseFlag.pause(tmp);
    assertEquals(Decision.refuse("paused"), e.check());
    assertTrue(PauseFlag.resume(tmp));
    assertTrue(e.check().run());
  }

  Path supply(String name, String type, String online, String scope) throws Exception {
    Path d = Files.createDirectories(tmp.resolve("ps").resolve(name));
    Files.writeString(d.resolve("type"), type + "\n");
    if (online != null) {
      Files.writeString(d.resolve("online"), online + "\n");
    }
    if (scope != null) {
      Files.writeString(d.resolve("scope"), scope + "\n");
    }
    return d;
  }

  PowerProbe.Power linux() {
    return new LinuxPowerProbe(tmp.resolve("ps")).read();
  }

  @Test
  void linuxLaptopOnMainsIsOnAc() throws Exception {
    supply("AC", "Mains", "1", null);
    supply("BAT0", "Battery", null, null);
    assertEquals(PowerProbe.Power.State.AC, linux().state());
  }

  @Test
  void linuxLaptopUnpluggedIsOnBattery() throws Exception {
    supply("AC", "Mains", "0", null);
    supply("BAT0", "Battery", null, null);
    assertEquals(PowerProbe.Power.State.BATTERY, linux().state());
  }

  @Test
  void linuxUsbCChargerCountsAsMains() throws Exception {
    supply("ucsi-source-psy-USBC000:001", "USB", "1", null);
    supply("BAT1", "Battery", null, null);
    assertEquals(PowerProbe.Power.State.AC, linux().state());
  }

  @Test
  void linuxDesktopWithOnlyAWirelessMouseBatteryIsOnAc() throws Exception {
    supply("hidpp_battery_0", "Battery", null, "Device");
    assertEquals(PowerProbe.Power.State.AC, linux().state());
  }

  @Test
  void linuxWithoutSysfsCannotTell() {
    assertEquals(PowerProbe.Power.State.UNKNOWN, new LinuxPowerProbe(tmp.resolve("missing")).read().state());
  }
}
