package org.idlegrid.client.control;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.idlegrid.json.Json;

/**
 * {@code <state-dir>/control.json}: where the running client's control channel listens and the
 * token it wants, {@code {"port":N,"token":"…","pid":N}}. Mode 600 (owner only): whoever can
 * read it can pause the client, and nobody else can. Written atomically; removed on a clean stop.
 */
public record ControlFile(int port, String token, long pid) {
  public static final String FILE = "control.json";

  public static Path path(Path stateDir) {
    return stateDir.resolve(FILE);
  }

  public void write(Path stateDir) throws IOException {
    Files.createDirectories(stateDir);
    Path tmp = Files.createTempFile(stateDir, ".control-", ".tmp");
    try {
      if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      }
      Files.write(tmp, Json.writeBytes(this));
      Files.move(tmp, path(stateDir), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  public static Optional<ControlFile> read(Path stateDir) throws IOException {
    Path f = path(stateDir);
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Json.read(Files.readAllBytes(f), ControlFile.class));
    } catch (RuntimeException e) {
      return Optional.empty(); // half a file from another era: treated as absent
    }
  }
}
