package org.idlegrid.client.eligibility;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The pause switch: the file {@code <state-dir>/paused}, so a pause survives restarts. The
 * {@code pause}/{@code resume} commands set it through the running client's control channel
 * (which also wakes the client at once) or, with no client running, directly. The eligibility
 * check sees it within a second and treats it exactly like the device becoming ineligible (stop,
 * abort with reason {@code paused}, wait).
 */
public final class PauseFlag {
  public static final String FILE = "paused";
  public static final String REASON = "paused";

  private PauseFlag() {}

  public static boolean isPaused(Path stateDir) {
    return Files.exists(stateDir.resolve(FILE));
  }

  public static void pause(Path stateDir) throws IOException {
    Files.createDirectories(stateDir);
    Files.writeString(stateDir.resolve(FILE), "paused at " + Instant.now() + "\n", StandardCharsets.UTF_8);
  }

  /** Returns true if the client was paused. */
  public static boolean resume(Path stateDir) throws IOException {
    return Files.deleteIfExists(stateDir.resolve(FILE));
  }
}
