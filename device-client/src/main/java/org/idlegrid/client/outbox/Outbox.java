package org.idlegrid.client.outbox;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Finished results on disk until the coordinator has them: {@code <dir>/<assignmentId>.json}
 * holds the signed {@code ResultSubmission} exactly as it is (and will again be) sent.
 *
 * <p>Invariants: a result file appears only complete (written to a temporary file, fsynced,
 * renamed, folder fsynced) and BEFORE any upload; it leaves only when the coordinator
 * acknowledged it or said it can never take it ({@link #reject} moves it to
 * {@code rejected/} for the owner to inspect). So a process killed at any moment either has not
 * finished the unit or delivers it on its next start, and the coordinator's "already returned"
 * answer makes a repeated upload harmless.
 */
public final class Outbox {
  /** What an assignment id may look like to become a file name. */
  public static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final String SUFFIX = ".json";

  private final Path dir;

  public Outbox(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir);
    try (DirectoryStream<Path> tmp = Files.newDirectoryStream(dir, ".tmp-*")) {
      for (Path p : tmp) {
        Files.deleteIfExists(p); // a write cut short by a crash: its unit was never acknowledged
      }
    }
  }

  public Path dir() {
    return dir;
  }

  /** Stores a signed result durably; replaces an older one for the same assignment. */
  public void put(String assignmentId, byte[] signedResult) throws IOException {
    Path target = file(assignmentId);
    Path tmp = Files.createTempFile(dir, ".tmp-", SUFFIX);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer b = ByteBuffer.wrap(signedResult);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDir(dir);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Assignment ids waiting for delivery, oldest first. */
  public List<String> pending() throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path p : s) {
        if (!p.getFileName().toString().startsWith(".") && Files.isRegularFile(p)) {
          files.add(p);
        }
      }
    }
    files.sort((a, b) -> {
      try {
        int c = Files.getLastModifiedTime(a).compareTo(Files.getLastModifiedTime(b));
        return c != 0 ? c : a.getFileName().compareTo(b.getFileName());
      } catch (IOException e) {
        return a.getFileName().compareTo(b.getFileName());
      }
    });
    List<String> ids = new ArrayList<>(files.size());
    for (Path p : files) {
      String name = p.getFileName().toString();
      ids.add(name.substring(0, name.length() - SUFFIX.length()));
    }
    return ids;
  }

  public int size() {
    try {
      return pending().size();
    } catch (IOException e) {
      return -1;
    }
  }

  public byte[] read(String assignmentId) throws IOException {
    return Files.readAllBytes(file(assignmentId));
  }

  /** The coordinator has it: forget it. */
  public void remove(String assignmentId) throws IOException {
    Files.deleteIfExists(file(assignmentId));
    syncDir(dir);
  }

  /** The coordinator will never take it: keep it aside in {@code rejected/} with the reason. */
  public void reject(String assignmentId, String why) throws IOException {
    Path rejected = dir.resolve("rejected");
    Files.createDirectories(rejected);
    Files.move(file(assignmentId), rejected.resolve(assignmentId + SUFFIX), StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(rejected.resolve(assignmentId + ".reason.txt"), why + "\n");
    syncDir(dir);
  }

  private Path file(String assignmentId) {
    if (assignmentId == null || !SAFE_ID.matcher(assignmentId).matches()) {
      throw new IllegalArgumentException("assignment id not usable as a file name: " + assignmentId);
    }
    return dir.resolve(assignmentId + SUFFIX);
  }

  private static void syncDir(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // not every platform can fsync a folder (Windows); the rename itself is atomic
    }
  }
}
