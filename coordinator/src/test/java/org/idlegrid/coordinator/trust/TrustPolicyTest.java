package org.idlegrid.coordinator.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.idlegrid.protocol.Platform;
import org.junit.jupiter.api.Test;

class TrustPolicyTest {
  private final TrustPolicy p = TrustPolicy.defaults();

  @Test
  void untrustedDevicesAreAlwaysCheckedAndTrustStartsAtTheThreshold() {
    assertEquals(10, p.trustThreshold());
    assertEquals(1.0, p.spotCheckProbability(0));
    assertEquals(1.0, p.spotCheckProbability(9));
    assertTrue(p.trusted(10));
    assertEquals(1 / 3.0, p.spotCheckProbability(10), 1e-12, "1/(1+k) when trust is earned");
  }

  @Test
  void spotCheckProbabilityFallsWithTheStreakDownToItsFloor() {
    double previous = 1;
    for (int streak = 10; streak < 200; streak++) {
      double now = p.spotCheckProbability(streak);
      assertTrue(now <= previous, "never rises as the streak grows");
      assertTrue(now >= p.pMin());
      previous = now;
    }
    assertEquals(1 / (1 + 2.0 * 5), p.spotCheckProbability(14), 1e-12);
    assertEquals(p.pMin(), p.spotCheckProbability(10_000));
  }

  @Test
  void closingAuditsNeedIdleAuditsAndARiskBudget() {
    assertEquals(1.0 / 32, p.riskBudget(), 1e-12);
    assertTrue(p.closingAudits());
    assertTrue(!p.withRiskBudget(0).closingAudits(), "a budget of 0 is off");
    assertTrue(!p.withIdleAudits(false).closingAudits(), "no idle audits, no closing audits");
  }

  @Test
  void quarantineNeedsAMinimumSampleAndAPassedThreshold() {
    assertNotNull(p.quarantineReason(2, 2, 4, 0, 0));
    assertNull(p.quarantineReason(3, 1, 4, 0, 0));
    assertNull(p.quarantineReason(3, 2, 5, 0, 0), "2 of 5 is under half");
    assertNotNull(p.quarantineReason(3, 3, 6, 0, 0));
    assertNull(p.quarantineReason(10, 0, 10, 3, 6), "9 of 19 failures is under the rate and sample");
    String reason = p.quarantineReason(0, 0, 2, 10, 10);
    assertTrue(reason.contains("errors and timeouts: 20 of 22"), reason);
  }

  @Test
  void beforeTheSampleIsFullADeviceIsQuarantinedOnlyWhenGoodResultsCouldNoLongerSaveIt() {
    assertNull(p.quarantineReason(0, 1, 1, 0, 0), "1 invalid of 1: three valid results next would clear it");
    assertNull(p.quarantineReason(1, 1, 2, 0, 0), "1 of 2: under half of four whatever comes");
    String reason = p.quarantineReason(0, 2, 2, 0, 0);
    assertNotNull(reason, "2 of 2: at half of four even if the next two are valid");
    assertTrue(reason.contains("invalid results: 2 of 2 (threshold 0.5 of at least 4)"), reason);
    assertNotNull(p.quarantineReason(1, 2, 3, 0, 0));
    assertNull(p.quarantineReason(0, 0, 4, 15, 0), "15 failures of 19 finished: five returns next would clear it");
    assertNotNull(p.quarantineReason(0, 0, 0, 16, 0), "16 of 16: at 0.8 of twenty whatever comes");
  }

  @Test
  void theEndgameIsTheLastPercentOfAJobAndWaitsAQuarterAsLong() {
    assertEquals(0.01, p.endgameShare(), 1e-12);
    assertEquals(0.25, p.endgameWait(), 1e-12);
    TrustPolicy off = p.withEndgame(0.01, 1);
    assertEquals(1.0, off.endgameWait(), 1e-12);
    TrustPolicy both = p.withEndgame(0.5, 0.5).withBackupAfter(2).withRiskBudget(0.1);
    assertEquals(0.5, both.endgameShare(), 1e-12, "a with-method keeps the endgame");
    assertEquals(0.5, both.endgameWait(), 1e-12);
    assertEquals(2.0, both.backupAfter(), 1e-12);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.withEndgame(0.01, 0));
    assertTrue(e.getMessage().contains("endgameWait must be in (0, 1]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> p.withEndgame(1.5, 0.25));
    assertTrue(e.getMessage().contains("endgameShare must be in [0, 1]"), e.getMessage());
  }

  @Test
  void badNumbersAreRefusedNamingTheField() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new TrustPolicy(0, 0.5, 0.05, 0.5, 4, 0.5, 20, 0.8, true, 0.2));
    assertTrue(e.getMessage().startsWith("trustThreshold"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new TrustPolicy(10, 0.5, 0, 0.5, 4, 0.5, 20, 0.8, true, 0.2));
    assertTrue(e.getMessage().startsWith("pMin"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> p.withRiskBudget(-1));
    assertTrue(e.getMessage().startsWith("riskBudget"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> p.withRiskBudget(Double.NaN));
    assertTrue(e.getMessage().startsWith("riskBudget"), e.getMessage());
  }

  @Test
  void networksAreSlash24ForIpv4AndSlash48ForIpv6AndLoopbackIsUnknown() {
    assertEquals("v4:203.0.113.0/24", Networks.prefixOf("203.0.113.77"));
    assertEquals(Networks.prefixOf("203.0.113.1"), Networks.prefixOf("203.0.113.254"));
    assertTrue(!Networks.prefixOf("203.0.113.1").equals(Networks.prefixOf("203.0.114.1")));
    assertEquals("v6:2001:0db8:00aa::/48", Networks.prefixOf("2001:db8:aa:1::5"));
    assertEquals(Networks.prefixOf("[2001:db8:aa:ffff::1]"), Networks.prefixOf("2001:db8:aa::9"));
    assertEquals("v4:198.51.100.0/24", Networks.prefixOf("::ffff:198.51.100.3"), "IPv4-mapped counts as IPv4");
    assertNull(Networks.prefixOf("127.0.0.1"));
    assertNull(Networks.prefixOf("::1"));
    assertNull(Networks.prefixOf("fe80::1%eth0"));
    assertNull(Networks.prefixOf("example.org"), "names are never resolved");
    assertNull(Networks.prefixOf(null));
  }

  @Test
  void platformClassNamesEnginesVersionsOsAndArch() {
    String a = PlatformClass.of(new Platform("Linux", "amd64", 8, 1, null), List.of("OnnxRuntime"),
        Map.of("OnnxRuntime", "1.21.0"));
    assertEquals("OnnxRuntime=1.21.0;linux/amd64", a);
    String b = PlatformClass.of(new Platform("linux", "amd64", 2, 1, null), List.of("OnnxRuntime"),
        Map.of("OnnxRuntime", "1.30.0"));
    assertTrue(!a.equals(b), "another engine version is another class");
    assertEquals("OnnxRuntime=?;?/?", PlatformClass.of(null, List.of("OnnxRuntime"), null));
  }
}
