package org.idlegrid.client.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.idlegrid.json.Json;

/** The real test models beside the checkout ({@code idlegrid.models.dir}). */
public final class TestModels {
  private TestModels() {}

  public static Path dir() {
    String d = System.getProperty("idlegrid.models.dir", "../../shared/models");
    Path p = Path.of(d);
    if (!Files.isDirectory(p)) {
      throw new IllegalStateException("test models not found at " + p.toAbsolutePath() + " (idlegrid.models.dir)");
    }
    return p;
  }

  public static Path file(String name) {
    return dir().resolve(name);
  }

  public static List<JsonNode> jsonl(String name) throws IOException {
    List<JsonNode> rows = new ArrayList<>();
    for (String line : Files.readAllLines(file(name))) {
      if (!line.isBlank()) {
        rows.add(Json.tree(line));
      }
    }
    return rows;
  }

  /** The digits test rows as job records: {"pixels":[64]} only. */
  public static List<JsonNode> digitsRecords() throws IOException {
    List<JsonNode> records = new ArrayList<>();
    for (JsonNode row : jsonl("digits-test.jsonl")) {
      ObjectNode r = Json.mapper().createObjectNode();
      r.set("pixels", row.get("pixels"));
      records.add(r);
    }
    return records;
  }
}
