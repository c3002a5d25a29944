package org.idlegrid.client.probe;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Linux: the {@code idle_detect} daemon's shared memory ({@code /dev/shm/idle_detect_shmem},
 * jamescowens/idle_detect, also read by BOINC ≥ 8.2.10). It covers Wayland, GNOME and KDE.
 * Layout: two native-endian int64 epoch seconds, the daemon's last update and the user's last
 * activity. A block not updated for over 60 s is stale (the daemon died): unknown.
 */
public final class IdleDetectShmProbe implements IdleProbe {
  static final Duration STALE = Duration.ofSeconds(60);
  private final Path file;
  private final Clock clock;

  public IdleDetectShmProbe(Path file, Clock clock) {
    this.file = file;
    this.clock = clock;
  }

  public static IdleDetectShmProbe system(Clock clock) {
    return new IdleDetectShmProbe(Path.of("/dev/shm/idle_detect_shmem"), clock);
  }

  @Override
  public Idle read() {
    byte[] b;
    try {
      if (!Files.isReadable(file)) {
        return Idle.unknown("no idle_detect daemon (" + file + ")");
      }
      b = Files.readAllBytes(file);
    } catch (IOException e) {
      return Idle.unknown("cannot read " + file + ": " + e.getMessage());
    }
    if (b.length < 16) {
      return Idle.unknown(file + " is too short (" + b.length + " bytes)");
    }
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
    Instant updated = Instant.ofEpochSecond(buf.getLong(0));
    Instant lastActive = Instant.ofEpochSecond(buf.getLong(8));
    Instant now = clock.instant();
    if (Duration.between(updated, now).compareTo(STALE) > 0) {
      return Idle.unknown("idle_detect is stale (last update " + updated + ")");
    }
    return Idle.of(Duration.between(lastActive, now), "idle_detect");
  }
}
