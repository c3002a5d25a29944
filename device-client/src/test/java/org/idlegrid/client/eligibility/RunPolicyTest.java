package org.idlegrid.client.eligibility;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.idlegrid.client.probe.IdleProbe.Idle;
import org.idlegrid.client.probe.LoadProbe.Load;
import org.idlegrid.client.probe.PowerProbe.Power;
import org.idlegrid.client.probe.Readings;
import org.idlegrid.client.probe.ThermalProbe.Thermal;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pure policy's transitions, driven second by second with a fake clock. */
class RunPolicyTest {
  static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z"); // a Monday

  Preferences prefs = Preferences.builder().zone(ZoneOffset.UTC).build();
  Instant now;
  RunPolicy.State state;
  // the device as the probes see it; tests change these
  Power power;
  Idle idle;
  Load load;
  Thermal thermal;
  Boolean metered;

  @BeforeEach
  void eligibleLaptop() {
    now = T0;
    state = RunPolicy.State.initial();
    power = Power.ac("AC online").withBattery(90);
    idle = Idle.of(Duration.ofMinutes(10), "logind");
    load = new Load(0.05, 2.0, "/proc/stat");
    thermal = new Thermal(55.0, 0, "hwmon");
    metered = null;
  }

  /** One check at the current time; advances the state like OwnerPolicy does. */
  Decision check() {
    RunPolicy.Verdict v = RunPolicy.decide(new Readings(power, idle, load, thermal, metered, now.toString()), prefs, state, now);
    state = v.next();
    return v.decision();
  }

  Decision after(int seconds) {
    now = now.plusSeconds(seconds);
    return check();
  }

  static void refused(Decision d, String code) {
    assertFalse(d.run(), "expected a refusal " + code + ", got " + d);
    assertTrue(d.reason().startsWith(code), d.reason());
  }

  @Test
  void idleLaptopOnAcWithAFullEnoughBatteryRuns() {
    assertTrue(check().run());
  }

  @Test
  void unknownPowerFailsClosedButAProvenDesktopRuns() {
    power = Power.unknown("no sysfs");
    refused(check(), "cannot tell whether the device is on AC power");
    power = Power.ac("no battery: a desktop on mains");
    assertTrue(check().run());
  }

  @Test
  void onBatteryStopsWhenAcIsRequiredAndRunsAboveTheFloorWhenNot() {
    power = Power.battery("BAT0 Discharging").withBattery(70);
    refused(check(), "on-battery");
    prefs = Preferences.builder().zone(ZoneOffset.UTC).requireAc(false).batteryFloor(60).build();
    assertTrue(check().run());
  }

  @Test
  void batteryFloorHasAResumeMarginSoItDoesNotFlap() {
    prefs = Preferences.builder().zone(ZoneOffset.UTC).batteryFloor(50).batteryResumeMargin(5).build();
    power = Power.ac("AC").withBattery(53);
    refused(check(), "battery-low"); // stopped: needs 55 to start
    power = Power.ac("AC").withBattery(55);
    assertTrue(after(1).run());
    power = Power.ac("AC").withBattery(51);
    assertTrue(after(1).run(), "running: only below the floor stops");
    power = Power.ac("AC").withBattery(50);
    assertTrue(after(1).run());
    power = Power.ac("AC").withBattery(49);
    Decision d = after(1);
    refused(d, "battery-low");
    assertTrue(d.reason().contains("below the floor of 50 %"), d.reason());
    power = Power.ac("AC").withBattery(52);
    Decision waiting = after(1);
    refused(waiting, "battery-low");
    assertTrue(waiting.reason().contains("resumes at 55 %"), waiting.reason());
    power = Power.ac("AC").withBattery(56);
    assertTrue(after(1).run());
  }

  @Test
  void batteryWithUnknownLevelFailsClosedWhenThereIsAFloor() {
    power = Power.ac("AC").withBattery(null);
    refused(check(), "cannot tell the battery level");
    prefs = Preferences.builder().zone(ZoneOffset.UTC).batteryFloor(0).build();
    assertTrue(check().run());
  }

  @Test
  void batterySaverPauses() {
    power = Power.ac("AC").withBattery(90).withSaver(true);
    refused(check(), "battery-saver");
  }

  @Test
  void userInputWithinIdleMinutesStopsAndUnknownIdleFailsClosed() {
    idle = Idle.of(Duration.ofSeconds(170), "X11");
    Decision d = check();
    refused(d, "user-active");
    assertTrue(d.reason().contains("170 s ago"), d.reason());
    idle = Idle.of(Duration.ofSeconds(180), "X11");
    assertTrue(check().run(), "3 minutes (the default) is enough");
    idle = Idle.unknown("no idle source");
    refused(check(), "cannot tell whether the device is idle");
    prefs = Preferences.builder().zone(ZoneOffset.UTC).idleMinutes(0).build();
    assertTrue(check().run(), "idleMinutes 0: the owner does not care about input");
  }

  @Test
  void aLoadSpikeMustPersistBeforeARunningUnitStops() {
    assertTrue(check().run());
    load = new Load(0.80, 90.0, "/proc/stat"); // PSI high too: ignored while running (it counts our threads)
    assertTrue(after(1).run(), "the spike starts");
    assertTrue(after(1).run(), "1 s of load");
    assertTrue(after(3).run(), "4 s: still below loadStopSeconds=5");
    Decision d = after(1);
    refused(d, "busy");
    assertTrue(d.reason().contains("80 %"), d.reason());
  }

  @Test
  void aShortSpikeThatClearsDoesNotStopWork() {
    assertTrue(check().run());
    load = new Load(0.80, null, "x");
    assertTrue(after(1).run());
    assertTrue(after(3).run());
    load = new Load(0.10, null, "x");
    assertTrue(after(1).run(), "cleared before 5 s");
    load = new Load(0.80, null, "x");
    assertTrue(after(1).run(), "a new spike starts a new count");
    assertTrue(after(4).run());
    refused(after(1), "busy");
  }

  @Test
  void afterLoadStoppedWorkItResumesOnlyAfterTheLoadStayedLowForTheResumeTime() {
    load = new Load(0.80, null, "x");
    refused(check(), "busy"); // not running: high load refuses at once
    load = new Load(0.10, null, "x");
    Decision d = after(1);
    refused(d, "busy: waiting for 30 s of quiet");
    refused(after(28), "busy");
    assertTrue(after(1).run(), "30 s without a high reading");
  }

  @Test
  void cpuPressureKeepsWorkFromStartingOnly() {
    load = new Load(0.05, 55.0, "x");
    refused(check(), "busy: CPU pressure 55 %");
    load = new Load(0.05, 5.0, "x");
    assertTrue(check().run());
    load = new Load(0.05, 95.0, "x");
    assertTrue(after(1).run(), "while running our own threads raise PSI");
  }

  @Test
  void unknownLoadFailsClosed() {
    load = Load.unknown("measuring (first reading)");
    refused(check(), "cannot tell the CPU load");
  }

  @Test
  void tooHotStopsAndWorkResumesOnlyFiveDegreesBelowTheLimit() {
    assertTrue(check().run());
    thermal = new Thermal(86.0, 0, "hwmon");
    refused(after(1), "thermal");
    thermal = new Thermal(83.0, 0, "hwmon");
    refused(after(1), "thermal");
    thermal = new Thermal(79.5, 0, "hwmon");
    assertTrue(after(1).run());
    thermal = Thermal.unknown("no sensor");
    assertTrue(after(1).run(), "an OS that does not tell the temperature does not block (DESIGN: where the OS tells it)");
  }

  @Test
  void throttlingStopsWorkForTheResumeTime() {
    assertTrue(check().run());
    thermal = new Thermal(70.0, 3, "hwmon");
    refused(after(1), "thermal: the CPU throttled");
    thermal = new Thermal(70.0, 0, "hwmon");
    refused(after(10), "thermal");
    assertTrue(after(20).run());
  }

  @Test
  void outsideTheOwnersHoursNothingRuns() {
    prefs = Preferences.builder().zone(ZoneOffset.UTC).windows("Mon-Fri 22:00-07:00").build();
    refused(check(), "outside-hours"); // Monday 10:00
    now = Instant.parse("2026-11-23T23:30:00Z");
    assertTrue(check().run(), "Monday night");
    now = Instant.parse("2026-11-24T06:59:00Z");
    assertTrue(check().run(), "Tuesday early morning belongs to Monday's window");
    now = Instant.parse("2026-11-29T02:00:00Z");
    refused(check(), "outside-hours"); // Sunday 02:00 belongs to Saturday's night: not a weekday
  }

  @Test
  void meteredNetworkStopsWorkWhenTheOwnerSaysSo() {
    metered = true;
    refused(check(), "metered");
    metered = null;
    assertTrue(check().run(), "unknown metering is taken as not metered");
    metered = true;
    prefs = Preferences.builder().zone(ZoneOffset.UTC).meteredOff(false).build();
    assertTrue(check().run());
  }
}
