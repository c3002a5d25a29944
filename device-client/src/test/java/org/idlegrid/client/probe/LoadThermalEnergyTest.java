package org.idlegrid.client.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Load, temperature, throttling, RAPL energy, metering and memory on fake /proc and /sys trees. */
class LoadThermalEnergyTest {
  @TempDir
  Path tmp;

  void procStat(long user, long nice, long system, long idle, long iowait, long self) {
    Fixtures.write(tmp.resolve("proc/stat"), "cpu  " + user + " " + nice + " " + system + " " + idle + " " + iowait
        + " 0 0 0 0 0\ncpu0 1 2 3 4 5 0 0 0 0 0\nintr 1\n");
    // a command name with spaces and a parenthesis: fields are counted after the last ')'
    Fixtures.write(tmp.resolve("proc/self/stat"), "4242 (java (idle) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 "
        + (self - 10) + " 10 0 0 20 0 30 0 12345 1000000 5000\n");
  }

  @Test
  void othersCpuIsTheMachinesBusyTimeMinusOursOverTheInterval() {
    LinuxLoadProbe probe = new LinuxLoadProbe(tmp.resolve("proc"));
    procStat(1000, 0, 500, 8000, 500, 300);
    LoadProbe.Load first = probe.read();
    assertNull(first.othersCpu(), "the first reading has no interval");
    // +1000 ticks in all: +400 user, +100 system (busy 500), +450 idle, +50 iowait; we used 300 of the 500 busy
    procStat(1400, 0, 600, 8450, 550, 600);
    assertEquals(0.2, probe.read().othersCpu(), 1e-9);
    // we were the whole load: others 0, never negative
    procStat(1900, 0, 600, 8950, 550, 1200);
    assertEquals(0.0, probe.read().othersCpu(), 1e-9);
  }

  @Test
  void psiCpuPressureIsReadWhenPresent() {
    LinuxLoadProbe probe = new LinuxLoadProbe(tmp.resolve("proc"));
    procStat(1, 0, 1, 1, 1, 10);
    assertNull(probe.read().pressure());
    Fixtures.write(tmp.resolve("proc/pressure/cpu"), "some avg10=12.50 avg60=3.00 avg300=1.00 total=123\n"
        + "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
    assertEquals(12.5, probe.read().pressure());
  }

  @Test
  void unreadableProcIsUnknownLoad() {
    assertNull(new LinuxLoadProbe(tmp.resolve("nothing")).read().othersCpu());
  }

  @Test
  void hwmonCpuChipsGiveTheHottestSensorAndOtherChipsAreIgnored() {
    Path sys = tmp.resolve("sys");
    Fixtures.write(sys.resolve("class/hwmon/hwmon0/name"), "iwlwifi_1\n");
    Fixtures.write(sys.resolve("class/hwmon/hwmon0/temp1_input"), "99000\n");
    Fixtures.write(sys.resolve("class/hwmon/hwmon3/name"), "coretemp\n");
    Fixtures.write(sys.resolve("class/hwmon/hwmon3/temp1_input"), "61000\n");
    Fixtures.write(sys.resolve("class/hwmon/hwmon3/temp2_input"), "67500\n");
    ThermalProbe.Thermal t = new LinuxThermalProbe(sys).read();
    assertEquals(67.5, t.celsius());
    assertEquals("hwmon", t.detail());
  }

  @Test
  void thermalZonesAreTheFallbackAndOnlyCpuZonesCount() {
    Path sys = tmp.resolve("sys");
    Fixtures.write(sys.resolve("class/thermal/thermal_zone0/type"), "iwlwifi_1\n");
    Fixtures.write(sys.resolve("class/thermal/thermal_zone0/temp"), "95000\n");
    Fixtures.write(sys.resolve("class/thermal/thermal_zone1/type"), "x86_pkg_temp\n");
    Fixtures.write(sys.resolve("class/thermal/thermal_zone1/temp"), "72000\n");
    assertEquals(72.0, new LinuxThermalProbe(sys).read().celsius());
    assertNull(new LinuxThermalProbe(tmp.resolve("empty")).read().celsius(), "no sensor: unknown");
  }

  @Test
  void throttleCountersReportTheIncreaseSinceTheLastReading() {
    Path sys = tmp.resolve("sys");
    Path cpu0 = sys.resolve("devices/system/cpu/cpu0/thermal_throttle");
    Path cpu1 = sys.resolve("devices/system/cpu/cpu1/thermal_throttle");
    Fixtures.write(cpu0.resolve("core_throttle_count"), "10\n");
    Fixtures.write(cpu0.resolve("package_throttle_count"), "3\n");
    Fixtures.write(cpu1.resolve("core_throttle_count"), "7\n");
    LinuxThermalProbe probe = new LinuxThermalProbe(sys);
    assertEquals(0, probe.read().throttleEvents(), "the first reading is the baseline");
    assertEquals(0, probe.read().throttleEvents());
    Fixtures.write(cpu1.resolve("core_throttle_count"), "11\n");
    assertEquals(4, probe.read().throttleEvents());
  }

  void rapl(String zone, long energy, long max) {
    Fixtures.write(tmp.resolve("powercap").resolve(zone).resolve("energy_uj"), energy + "\n");
    Fixtures.write(tmp.resolve("powercap").resolve(zone).resolve("max_energy_range_uj"), max + "\n");
  }

  @Test
  void raplJoulesSumThePackagesAndHandleTheCounterWrap() {
    EnergyMeter meter = new EnergyMeter(tmp.resolve("powercap"));
    rapl("intel-rapl:0", 262_143_000_000L - 2_000_000, 262_143_328_850L);
    rapl("intel-rapl:0:0", 5_000_000, 262_143_328_850L); // a sub-zone (cores): inside the package, not added
    rapl("intel-rapl:1", 1_000_000, 262_143_328_850L);
    EnergyMeter.Sample start = meter.sample();
    rapl("intel-rapl:0", 3_000_000, 262_143_328_850L); // wrapped
    rapl("intel-rapl:0:0", 9_000_000, 262_143_328_850L);
    rapl("intel-rapl:1", 1_500_000, 262_143_328_850L);
    double j = EnergyMeter.joules(start, meter.sample()).orElseThrow();
    // package 0: (max - start) + 3 J = 0.32885 + 2 + 3 J; package 1: 0.5 J
    assertEquals(0.32885 + 2 + 3 + 0.5, j, 1e-9);
  }

  @Test
  void noReadableRaplMeansNoEnergyFigure() throws Exception {
    assertNull(new EnergyMeter(tmp.resolve("none")).sample());
    Fixtures.write(tmp.resolve("powercap/intel-rapl:0/max_energy_range_uj"), "100\n"); // energy_uj root-only: absent
    assertNull(new EnergyMeter(tmp.resolve("powercap")).sample());
    assertFalse(EnergyMeter.joules(null, null).isPresent());
  }

  @Test
  void networkManagerMeteredValuesMapToYesNoUnknown() {
    assertEquals(Boolean.TRUE, MeteredProbe.parseNetworkManager("u 1"));
    assertEquals(Boolean.TRUE, MeteredProbe.parseNetworkManager("u 3\n"));
    assertEquals(Boolean.FALSE, MeteredProbe.parseNetworkManager("u 4"));
    assertNull(MeteredProbe.parseNetworkManager("u 0"));
    assertNull(MeteredProbe.networkManager(Fixtures.none()).metered());
  }

  @Test
  void residentMemoryIsReadFromProcStatus() {
    Path status = Fixtures.write(tmp.resolve("status"), "Name:\tjava\nVmPeak:\t 9000000 kB\nVmRSS:\t   71680 kB\n");
    assertEquals(70, ProcessMemory.rssMb(status));
    assertEquals(-1, ProcessMemory.rssMb(tmp.resolve("none")));
    if (System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      assertTrue(ProcessMemory.rssMb() > 0, "this JVM's own");
    } else {
      assertEquals(-1, ProcessMemory.rssMb());
    }
  }
}
