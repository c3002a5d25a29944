package org.idlegrid.client.probe;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Captured tool output (src/test/resources/probe) and fake sysfs/proc files. */
final class Fixtures {
  private Fixtures() {}

  static String text(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/probe/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A fake command runner: the first word of the command → output (absent: the tool is missing). */
  static CommandRunner commands(Map<String, String> byTool) {
    return command -> Optional.ofNullable(byTool.get(String.join(" ", command.subList(0, Math.min(2, command.size())))))
        .or(() -> Optional.ofNullable(byTool.get(command.get(0))));
  }

  static CommandRunner none() {
    return command -> Optional.empty();
  }

  static Path write(Path file, String content) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, content);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> lines(String s) {
    return s.lines().toList();
  }
}
