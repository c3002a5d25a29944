package org.idlegrid.coordinator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.idlegrid.json.Json;

/** The shared test models (System property idlegrid.models.dir) and archives built from them. */
public final class Models {
  private Models() {}

  public static Path dir() {
    String d = System.getProperty("idlegrid.models.dir");
    if (d == null) {
      throw new IllegalStateException("the system property idlegrid.models.dir is not set (surefire sets it)");
    }
    return Path.of(d);
  }

  public static Path file(String name) {
    return dir().resolve(name);
  }

  public static List<JsonNode> jsonl(String name) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file(name), StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        out.add(Json.tree(line));
      }
    }
    return out;
  }

  /** A zip with the given entries (name → bytes). */
  public static byte[] zip(Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** A DJL text-embedding archive, as the MiniLM one is laid out (the model bytes are the MLP's). */
  public static byte[] textEmbeddingArchive() throws IOException {
    return zip(Map.of(
        "minilm/serving.properties", ("engine=OnnxRuntime\n"
            + "translatorFactory=ai.djl.huggingface.translator.TextEmbeddingTranslatorFactory\n"
            + "includeTokenTypes=true\n").getBytes(StandardCharsets.UTF_8),
        "minilm/model.onnx", Files.readAllBytes(file("digits-mlp.onnx")),
        "minilm/tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8)));
  }
}
