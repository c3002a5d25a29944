package org.idlegrid.client.status;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.idlegrid.json.Json;

/**
 * {@code <state-dir>/status.json}, replaced atomically (temporary file + rename) so a reader never
 * sees half a file. The running client writes it every few seconds and on every change; the
 * {@code status} command reads it. (A loopback control channel replaces this later.)
 */
public final class StatusFile {
  public static final String FILE = "status.json";

  private StatusFile() {}

  public static void write(Path stateDir, ClientStatus status) throws IOException {
    Path tmp = Files.createTempFile(stateDir, ".status-", ".tmp");
    try {
      Files.write(tmp, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(status));
      Files.move(tmp, stateDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  public static Optional<ClientStatus> read(Path stateDir) throws IOException {
    Path f = stateDir.resolve(FILE);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    return Optional.of(Json.read(Files.readAllBytes(f), ClientStatus.class));
  }
}
