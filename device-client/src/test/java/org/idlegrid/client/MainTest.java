package org.idlegrid.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
  @TempDir
  Path state;

  @Test
  void preferencesFlagsAreValidatedNamingTheField() {
    assertEquals(2, Main.execute("run", "--coordinator", "http://127.0.0.1:1", "--state-dir", state.toString(),
        "--battery-floor", "120"));
    assertEquals(2, Main.execute("run", "--coordinator", "http://127.0.0.1:1", "--state-dir", state.toString(),
        "--windows", "whenever"));
  }

  @Test
  void pauseAndResumeWithNoClientRunningToggleThePauseFlag() {
    assertEquals(0, Main.execute("pause", "--state-dir", state.toString()));
    assertTrue(Files.exists(state.resolve("paused")));
    assertEquals(0, Main.execute("resume", "--state-dir", state.toString()));
    assertFalse(Files.exists(state.resolve("paused")));
  }

  @Test
  void statusWithoutARunningClientSaysSo() {
    assertEquals(3, Main.execute("status", "--state-dir", state.toString()));
  }

  @Test
  void runWithAnUnknownPolicyFailsWithAUsageError() {
    assertEquals(2, Main.execute("run", "--coordinator", "http://127.0.0.1:1", "--state-dir", state.toString(),
        "--policy", "sometimes"));
  }

  @Test
  void runWithoutTheCoordinatorIsAUsageError() {
    assertEquals(2, Main.execute("run", "--state-dir", state.toString()));
  }

  @Test
  void configRefusesBadValuesNamingTheField() {
    var b = ClientConfig.builder(URI.create("ftp://x"), state);
    assertTrue(assertThrows(IllegalArgumentException.class, b::build).getMessage().startsWith("coordinator:"));
    var slots = ClientConfig.builder(URI.create("http://x:1"), state).slots(0);
    assertTrue(assertThrows(IllegalArgumentException.class, slots::build).getMessage().startsWith("slots:"));
    var check = ClientConfig.builder(URI.create("http://x:1"), state).checkInterval(Duration.ofSeconds(5));
    assertTrue(assertThrows(IllegalArgumentException.class, check::build).getMessage().startsWith("checkInterval:"));
  }
}
