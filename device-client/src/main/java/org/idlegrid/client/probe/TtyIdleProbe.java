package org.idlegrid.client.probe;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Linux, last resort (as BOINC): the newest access time of the terminals, {@code /dev/pts/*}
 * and {@code /dev/tty[0-9]*}; serial lines ({@code ttyS*}, {@code ttyACM*}, {@code ttyUSB*})
 * are not people. No terminal at all is unknown.
 */
public final class TtyIdleProbe implements IdleProbe {
  private static final Pattern CONSOLE = Pattern.compile("tty[0-9]+");
  private static final Pattern PTS = Pattern.compile("[0-9]+");
  private final Path dev;
  private final Clock clock;

  public TtyIdleProbe(Path dev, Clock clock) {
    this.dev = dev;
    this.clock = clock;
  }

  public static TtyIdleProbe system(Clock clock) {
    return new TtyIdleProbe(Path.of("/dev"), clock);
  }

  @Override
  public Idle read() {
    FileTime newest = null;
    try {
      newest = newest(newest, dev, CONSOLE);
      Path pts = dev.resolve("pts");
      if (Files.isDirectory(pts)) {
        newest = newest(newest, pts, PTS);
      }
    } catch (IOException e) {
      return Idle.unknown("cannot list terminals in " + dev + ": " + e.getMessage());
    }
    if (newest == null) {
      return Idle.unknown("no terminals in " + dev);
    }
    return Idle.of(Duration.between(newest.toInstant(), clock.instant()), "terminal access time");
  }

  private static FileTime newest(FileTime newest, Path dir, Pattern names) throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        if (!names.matcher(p.getFileName().toString()).matches()) {
          continue;
        }
        try {
          FileTime t = Files.readAttributes(p, BasicFileAttributes.class).lastAccessTime();
          if (newest == null || t.compareTo(newest) > 0) {
            newest = t;
          }
        } catch (IOException ignored) {
          // a terminal that went away meanwhile
        }
      }
    }
    return newest;
  }
}
