package org.idlegrid.client.eligibility;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.idlegrid.client.probe.CommandRunner;
import org.idlegrid.client.probe.Probes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EligibilityTest {
  @TempDir
  Path tmp;

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

  void write(Path f, String s) throws Exception {
    Files.createDirectories(f.getParent());
    Files.writeString(f, s);
  }

  void procStat(long busy, long idle) throws Exception {
    write(tmp.resolve("proc/stat"), "cpu  " + busy + " 0 0 " + idle + " 0 0 0 0 0 0\n");
    write(tmp.resolve("proc/self/stat"), "7 (java) S 1 1 1 0 -1 0 0 0 0 0 5 5 0 0 20 0 1 0 1 1 1\n");
  }

  /** The whole idle-and-charging path on a fake Linux: sysfs, /proc, /dev, and a logind that answers. */
  @Test
  void ownerPolicyOnAFakeLinuxLaptopRunsOnlyOnceEveryProbeAgrees() throws Exception {
    Instant now = Instant.parse("2026-11-23T10:00:00Z");
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    Path sys = tmp.resolve("sys");
    write(sys.resolve("class/power_supply/AC/type"), "Mains\n");
    write(sys.resolve("class/power_supply/AC/online"), "0\n");
    write(sys.resolve("class/power_supply/BAT0/type"), "Battery\n");
    write(sys.resolve("class/power_supply/BAT0/status"), "Discharging\n");
    write(sys.resolve("class/power_supply/BAT0/capacity"), "88\n");
    procStat(100, 900);
    Path dev = tmp.resolve("dev");
    write(dev.resolve("pts/0"), "");
    Files.setAttribute(dev.resolve("pts/0"), "lastAccessTime", FileTime.from(now.minusSeconds(30)));
    CommandRunner noTools = c -> Optional.empty();
    OwnerPolicy policy = new OwnerPolicy(Probes.linuxAt(sys, tmp.resolve("proc"), dev, noTools, clock),
        Preferences.builder().zone(ZoneOffset.UTC).build(), clock);

    Decision d = policy.check();
    assertTrue(d.reason().startsWith("on-battery"), d.reason());
    assertNotNull(policy.lastReadings(), "status shows what was seen");
    assertEquals(88, policy.lastReadings().power().batteryPercent());

    write(sys.resolve("class/power_supply/AC/online"), "1\n");
    d = policy.check();
    assertTrue(d.reason().startsWith("user-active: last input 30 s ago"), d.reason());

    Files.setAttribute(dev.resolve("pts/0"), "lastAccessTime", FileTime.from(now.minusSeconds(600)));
    procStat(110, 990); // others: 10 of 100 ticks, minus nothing of ours
    d = policy.check();
    assertTrue(d.run(), d.reason());
  }

  @Test
  void defaultPolicyOnThisMachineGivesAReasonAndNeverThrows() {
    Eligibility e = Eligibility.forPolicy("idle-and-charging");
    Decision d = e.check();
    assertFalse(d.reason().isBlank());
    assertNotNull(e.lastReadings());
  }
}
