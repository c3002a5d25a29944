package org.idlegrid.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CoordinatorConfigTest {
  private static String refusal(CoordinatorConfig.Builder b) {
    return assertThrows(IllegalArgumentException.class, b::build).getMessage();
  }

  @Test
  void buildingRefusesBadSettingsNamingTheFieldAndTheRule() {
    assertTrue(refusal(CoordinatorConfig.builder()).startsWith("dataDir"));
    CoordinatorConfig.Builder ok = CoordinatorConfig.builder().dataDir(Path.of("x"));
    assertTrue(refusal(CoordinatorConfig.builder().dataDir(Path.of("x")).port(70000))
        .contains("port must be between 0 and 65535"));
    assertTrue(refusal(CoordinatorConfig.builder().dataDir(Path.of("x")).assignmentTimeout(Duration.ZERO))
        .startsWith("assignmentTimeout must be positive"));
    assertTrue(refusal(CoordinatorConfig.builder().dataDir(Path.of("x")).maxJsonBytes(10)).startsWith("maxJsonBytes"));
    assertTrue(refusal(CoordinatorConfig.builder().dataDir(Path.of("x")).maxWait(Duration.ofHours(1))).startsWith("maxWait"));
    assertTrue(refusal(CoordinatorConfig.builder().dataDir(Path.of("x")).silentAfter(Duration.ZERO))
        .startsWith("silentAfter must be positive"));
    CoordinatorConfig c = ok.build();
    assertEquals(Duration.ofMinutes(2), c.silentAfter());
    assertEquals(Duration.ofMinutes(10), c.assignmentTimeout());
    assertEquals(16L << 20, c.maxJsonBytes());
    assertEquals(CoordinatorConfig.Enrollment.OPEN, c.enrollment());
  }

  @Test
  void theCommandLineReadsDurationsAndSizes() {
    assertEquals(Duration.ofMinutes(10), Main.parseDuration("--assignment-timeout", "10m"));
    assertEquals(Duration.ofSeconds(90), Main.parseDuration("--assignment-timeout", "90s"));
    assertEquals(Duration.ofMinutes(2), Main.parseDuration("--assignment-timeout", "PT2M"));
    assertThrows(IllegalArgumentException.class, () -> Main.parseDuration("--assignment-timeout", "soon"));
    assertEquals(16L << 20, Main.parseSize("--max-body", "16MiB"));
    assertEquals(1L << 30, Main.parseSize("--max-body", "1g"));
    assertEquals(512, Main.parseSize("--max-body", "512"));
    assertThrows(IllegalArgumentException.class, () -> Main.parseSize("--max-body", "lots"));
  }
}
