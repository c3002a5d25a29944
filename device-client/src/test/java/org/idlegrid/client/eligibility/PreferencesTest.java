package org.idlegrid.client.eligibility;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreferencesTest {
  @TempDir
  Path state;

  @Test
  void defaultsAreTheDocumentedOnes() {
    Preferences p = Preferences.defaults();
    assertEquals(3, p.idleMinutes());
    assertTrue(p.requireAc());
    assertEquals(50, p.batteryFloor());
    assertEquals(5, p.batteryResumeMargin());
    assertEquals(0.25, p.maxCpuShare());
    assertEquals(85, p.maxTemperatureC());
    assertEquals(2048, p.cacheDiskMb());
    assertEquals(0, p.memoryMb());
    assertTrue(p.windows().anyTime());
    assertTrue(p.meteredOff());
  }

  @Test
  void theFileIsReadAndCommandLineFlagsOverrideIt() throws Exception {
    Files.writeString(state.resolve(Preferences.FILE), "idleMinutes=10\nbatteryFloor=70\nwindows=22:00-07:00\n");
    Map<String, String> flags = new HashMap<>();
    flags.put("idleMinutes", "1");
    flags.put("maxCpuShare", null); // a flag not given
    Preferences p = Preferences.load(state, flags);
    assertEquals(1, p.idleMinutes(), "the flag wins");
    assertEquals(70, p.batteryFloor(), "from the file");
    assertEquals("22:00-07:00", p.windows().toString());
    assertEquals(0.25, p.maxCpuShare(), "default");
  }

  @Test
  void aBadValueInTheFileNamesTheFileTheKeyAndTheRule() throws Exception {
    Files.writeString(state.resolve(Preferences.FILE), "batteryFloor=lots\n");
    var e = assertThrows(IllegalArgumentException.class, () -> Preferences.load(state, Map.of()));
    assertTrue(e.getMessage().contains(Preferences.FILE) && e.getMessage().contains("batteryFloor: must be a whole number"),
        e.getMessage());
    Files.writeString(state.resolve(Preferences.FILE), "idleMinuts=3\n");
    e = assertThrows(IllegalArgumentException.class, () -> Preferences.load(state, Map.of()));
    assertTrue(e.getMessage().contains("unknown preference 'idleMinuts'"), e.getMessage());
  }

  @Test
  void outOfRangeValuesAreRefusedNamingTheField() {
    assertStarts("batteryFloor:", () -> Preferences.builder().batteryFloor(120).build());
    assertStarts("batteryResumeMargin:", () -> Preferences.builder().batteryFloor(98).batteryResumeMargin(5).build());
    assertStarts("batteryFloor:", () -> Preferences.builder().requireAc(false).batteryFloor(0).build());
    assertStarts("maxCpuShare:", () -> Preferences.builder().maxCpuShare(1.5).build());
    assertStarts("idleMinutes:", () -> Preferences.builder().idleMinutes(-1).build());
    assertStarts("maxTemperatureC:", () -> Preferences.builder().maxTemperatureC(200).build());
    assertStarts("memoryMb:", () -> Preferences.builder().memoryMb(10).build());
    assertStarts("cacheDiskMb:", () -> Preferences.builder().cacheDiskMb(1).build());
    assertStarts("windows:", () -> Preferences.builder().windows("Mon-Fry 10:00-12:00").build());
    assertStarts("windows:", () -> Preferences.builder().windows("25:00-07:00").build());
    assertStarts("requireAc:", () -> Preferences.builder().set("requireAc", "maybe").build());
    assertStarts("zone:", () -> Preferences.builder().set("zone", "Mars/Olympus").build());
  }

  static void assertStarts(String prefix, org.junit.jupiter.api.function.Executable e) {
    String m = assertThrows(IllegalArgumentException.class, e).getMessage();
    assertTrue(m.startsWith(prefix), m);
  }

  @Test
  void timeWindowsHandleDaysOvernightRangesAndWholeDays() {
    TimeWindows w = TimeWindows.parse("Mon-Fri 18:00-08:00; Sat,Sun 00:00-24:00");
    assertTrue(w.contains(at("2026-11-23T19:00"))); // Monday evening
    assertFalse(w.contains(at("2026-11-23T12:00"))); // Monday noon
    assertTrue(w.contains(at("2026-11-24T07:59"))); // Tuesday morning: Monday's night
    assertTrue(w.contains(at("2026-11-28T12:00"))); // Saturday
    assertFalse(w.contains(at("2026-11-30T07:00")), "Monday 07:00 would be Sunday night's, and Sunday's window ends at 24:00");
    assertFalse(TimeWindows.parse("Sat 10:00-12:00").contains(at("2026-11-28T12:00")), "the end is exclusive");
    assertTrue(TimeWindows.parse("Fri-Mon 09:00-10:00").contains(at("2026-11-30T09:30")), "a day range across the week's end");
    assertTrue(TimeWindows.parse("").contains(at("2026-11-23T12:00")));
  }

  static ZonedDateTime at(String local) {
    return java.time.LocalDateTime.parse(local).atZone(ZoneOffset.UTC);
  }
}
