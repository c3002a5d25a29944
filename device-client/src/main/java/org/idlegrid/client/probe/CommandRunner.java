package org.idlegrid.client.probe;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a small OS tool ({@code pmset}, {@code ioreg}, {@code busctl}, {@code upower}) and returns
 * its standard output; empty when the tool is missing, fails or takes too long. The fake for
 * tests returns captured output.
 */
@FunctionalInterface
public interface CommandRunner {
  Optional<String> run(List<String> command);

  /** The real one: 2 s limit, output capped at 1 MiB, stderr discarded. */
  static CommandRunner system() {
    return command -> {
      Process p;
      try {
        p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      } catch (IOException e) {
        return Optional.empty(); // not installed
      }
      try (InputStream in = p.getInputStream()) {
        p.getOutputStream().close();
        var out = CompletableFuture.supplyAsync(() -> {
          try {
            return in.readNBytes(1 << 20);
          } catch (IOException e) {
            return null;
          }
        }, r -> Thread.ofVirtual().start(r));
        byte[] bytes = out.get(2, TimeUnit.SECONDS); // a hung tool is killed below, which ends the read
        if (bytes == null || !p.waitFor(1, TimeUnit.SECONDS) || p.exitValue() != 0) {
          return Optional.empty();
        }
        return Optional.of(new String(bytes, StandardCharsets.UTF_8));
      } catch (IOException | ExecutionException | TimeoutException e) {
        return Optional.empty();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      } finally {
        p.destroyForcibly();
      }
    };
  }
}
