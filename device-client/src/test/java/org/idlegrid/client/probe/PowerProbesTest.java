package org.idlegrid.client.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.idlegrid.client.probe.PowerProbe.Power;
import org.idlegrid.client.probe.PowerProbe.Power.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every power probe on fixtures: fake sysfs trees, captured upower/pmset output, Windows struct values. */
class PowerProbesTest {
  @TempDir
  Path tmp;

  void supply(String name, String... attributes) {
    for (int i = 0; i < attributes.length; i += 2) {
      Fixtures.write(tmp.resolve("ps").resolve(name).resolve(attributes[i]), attributes[i + 1] + "\n");
    }
  }

  Power linux() {
    return new LinuxPowerProbe(tmp.resolve("ps")).read();
  }

  @Test
  void linuxLaptopOnMainsIsOnAcWithItsBatteryLevel() {
    supply("AC", "type", "Mains", "online", "1");
    supply("BAT0", "type", "Battery", "status", "Charging", "capacity", "64");
    Power p = linux();
    assertEquals(State.AC, p.state());
    assertEquals(64, p.batteryPercent());
    assertTrue(p.hasBattery());
    assertFalse(p.provenDesktop());
  }

  @Test
  void linuxLaptopUnpluggedIsOnBattery() {
    supply("AC", "type", "Mains", "online", "0");
    supply("BAT0", "type", "Battery", "status", "Discharging", "capacity", "91");
    Power p = linux();
    assertEquals(State.BATTERY, p.state());
    assertEquals(91, p.batteryPercent());
  }

  @Test
  void linuxChargeLimitedLaptopSayingNotChargingIsStillOnAc() {
    supply("ADP1", "type", "Mains", "online", "1");
    supply("BAT0", "type", "Battery", "status", "Not charging", "capacity", "80");
    assertEquals(State.AC, linux().state());
  }

  @Test
  void linuxUsbCChargerCountsAsMainsAndOnlineTwoIsOnline() {
    supply("ucsi-source-psy-USBC000:001", "type", "USB", "online", "2");
    supply("BAT1", "type", "Battery", "status", "Charging", "capacity", "30");
    assertEquals(State.AC, linux().state());
  }

  @Test
  void linuxDesktopWithOnlyAWirelessMouseBatteryIsAProvenDesktop() {
    supply("hidpp_battery_0", "type", "Battery", "scope", "Device", "status", "Discharging", "capacity", "5");
    Power p = linux();
    assertEquals(State.AC, p.state());
    assertTrue(p.provenDesktop(), "the mouse's battery is not the machine's");
    assertNull(p.batteryPercent());
  }

  @Test
  void linuxEmptyPowerSupplyFolderIsADesktop() throws Exception {
    java.nio.file.Files.createDirectories(tmp.resolve("ps"));
    assertTrue(linux().provenDesktop());
  }

  @Test
  void linuxBatteryWithoutAnyMainsEntryUsesTheBatteryStatus() {
    supply("BAT0", "type", "Battery", "status", "Full", "capacity", "100");
    assertEquals(State.AC, linux().state());
    supply("BAT0", "status", "Discharging");
    assertEquals(State.BATTERY, linux().state());
    supply("BAT0", "status", "Unknown");
    assertEquals(State.UNKNOWN, linux().state(), "fails closed");
  }

  @Test
  void linuxWithoutSysfsCannotTell() {
    assertEquals(State.UNKNOWN, new LinuxPowerProbe(tmp.resolve("missing")).read().state());
  }

  @Test
  void upowerOutputIsParsedForOnBatteryAndTheDisplayPercentage() {
    Power ac = UPowerProbe.parse(Fixtures.text("upower-laptop-ac.txt"));
    assertEquals(State.AC, ac.state());
    assertEquals(80, ac.batteryPercent());
    Power bat = UPowerProbe.parse(Fixtures.text("upower-laptop-battery.txt"));
    assertEquals(State.BATTERY, bat.state());
    assertEquals(37, bat.batteryPercent());
    Power desktop = UPowerProbe.parse(Fixtures.text("upower-desktop.txt"));
    assertTrue(desktop.provenDesktop());
    assertEquals(State.UNKNOWN, UPowerProbe.parse("garbage").state());
  }

  @Test
  void upowerIsTheFallbackWhenSysfsCannotTell() {
    PowerProbe chain = PowerProbe.firstKnown(new LinuxPowerProbe(tmp.resolve("missing")),
        new UPowerProbe(Fixtures.commands(Map.of("upower", Fixtures.text("upower-laptop-battery.txt")))));
    assertEquals(State.BATTERY, chain.read().state());
    PowerProbe neither = PowerProbe.firstKnown(new LinuxPowerProbe(tmp.resolve("missing")), new UPowerProbe(Fixtures.none()));
    Power p = neither.read();
    assertEquals(State.UNKNOWN, p.state());
    assertTrue(p.detail().contains("missing") && p.detail().contains("upower not available"), p.detail());
  }

  @Test
  void pmsetOutputsAreParsed() {
    Power charging = MacPowerProbe.parse(Fixtures.text("pmset-ac-charging.txt"));
    assertEquals(State.AC, charging.state());
    assertEquals(85, charging.batteryPercent());
    Power notCharging = MacPowerProbe.parse(Fixtures.text("pmset-ac-not-charging.txt"));
    assertEquals(State.AC, notCharging.state());
    assertEquals(80, notCharging.batteryPercent());
    Power battery = MacPowerProbe.parse(Fixtures.text("pmset-battery.txt"));
    assertEquals(State.BATTERY, battery.state());
    assertEquals(42, battery.batteryPercent());
    assertTrue(MacPowerProbe.parse(Fixtures.text("pmset-desktop.txt")).provenDesktop(), "a Mac mini");
    assertEquals(State.BATTERY, MacPowerProbe.parse(Fixtures.text("pmset-ups.txt")).state(), "a UPS is not mains");
    assertEquals(State.UNKNOWN, MacPowerProbe.parse("").state());
  }

  @Test
  void macLowPowerModeIsTheSaver() {
    MacPowerProbe probe = new MacPowerProbe(Fixtures.commands(Map.of(
        "pmset -g", Fixtures.text("pmset-ac-charging.txt"))));
    // "pmset -g batt" and "pmset -g" share their first two words in the fake: route by full command instead
    CommandRunner cmd = c -> java.util.Optional.of(c.size() == 3 ? Fixtures.text("pmset-ac-charging.txt")
        : Fixtures.text("pmset-g-lowpower.txt"));
    assertTrue(new MacPowerProbe(cmd).read().saver());
    assertFalse(probe.read().saver());
    assertEquals(State.UNKNOWN, new MacPowerProbe(Fixtures.none()).read().state());
  }

  @Test
  void windowsStructValuesFollowMicrosoftsDocumentation() {
    Power ac = WindowsPowerProbe.interpret(1, 8, 70, 0);
    assertEquals(State.AC, ac.state());
    assertEquals(70, ac.batteryPercent());
    Power battery = WindowsPowerProbe.interpret(0, 1, 55, 0);
    assertEquals(State.BATTERY, battery.state());
    assertEquals(55, battery.batteryPercent());
    Power desktop = WindowsPowerProbe.interpret(1, 128, 255, 0);
    assertTrue(desktop.provenDesktop());
    assertTrue(WindowsPowerProbe.interpret(255, 128, 255, 0).provenDesktop(), "unknown line, no battery: a desktop");
    assertEquals(State.AC, WindowsPowerProbe.interpret(255, 8, 60, 0).state(), "charging means plugged in (BOINC)");
    assertEquals(State.UNKNOWN, WindowsPowerProbe.interpret(255, 255, 255, 0).state());
    assertEquals(State.UNKNOWN, WindowsPowerProbe.interpret(255, 2, 40, 0).state());
    assertTrue(WindowsPowerProbe.interpret(1, 0, 90, 1).saver(), "battery saver on");
    assertNull(WindowsPowerProbe.interpret(1, 0, 255, 0).batteryPercent());
  }
}
