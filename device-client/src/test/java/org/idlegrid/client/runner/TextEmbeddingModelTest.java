package org.idlegrid.client.runner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.idlegrid.client.cache.LocalModel;
import org.idlegrid.client.cache.ModelCache;
import org.idlegrid.client.net.Backoff;
import org.idlegrid.client.net.CoordinatorClient;
import org.idlegrid.client.net.StopSignal;
import org.idlegrid.json.Hashes;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.ModelRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real quantized all-MiniLM-L6-v2 through a DJL model archive, as a coordinator ships it. */
class TextEmbeddingModelTest {
  @TempDir
  static Path tmp;
  static ModelCache cache;
  static ModelRunner runner;
  static LocalModel minilm;

  /** Puts {@code zip} into a model cache as if downloaded, and gets it back extracted. */
  static LocalModel cached(Path zip) throws Exception {
    byte[] bytes = Files.readAllBytes(zip);
    String hex = Hashes.sha256Hex(bytes);
    Files.write(tmp.resolve("models").resolve(hex), bytes);
    return cache.get(new ModelRef(Hashes.PREFIX + hex, "/api/v1/blobs/" + hex, "OnnxRuntime", bytes.length));
  }

  @BeforeAll
  static void setUp() throws Exception {
    StopSignal stop = new StopSignal();
    CoordinatorClient nowhere = new CoordinatorClient(URI.create("http://127.0.0.1:9"),
        Backoff.of(Duration.ofMillis(1), Duration.ofMillis(1)), stop, stop, Clock.systemUTC());
    cache = new ModelCache(tmp.resolve("models"), nowhere, 1);
    runner = ModelRunner.lazy(2);
    minilm = cached(TextModelArchive.fromMiniLmJarResources(tmp.resolve("minilm.zip")));
  }

  @AfterAll
  static void tearDown() {
    runner.close();
  }

  static List<JsonNode> texts(String... texts) {
    return java.util.Arrays.stream(texts).map(t -> (JsonNode) Json.mapper().createObjectNode().put("text", t)).toList();
  }

  static double[] vector(JsonNode output) {
    JsonNode e = output.get("embedding");
    double[] v = new double[e.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = e.get(i).asDouble();
    }
    return v;
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  @Test
  void embeddingsAre384DimUnitVectorsAndSimilarSentencesScoreHigher() throws Exception {
    assertTrue(minilm.isArchive());
    List<JsonNode> out = runner.run(minilm, texts(
        "The cat sits on the mat.",
        "A kitten is resting on a rug.",
        "Quarterly revenue grew by twelve percent."), () -> false);
    assertEquals(3, out.size());
    double[] cat = vector(out.get(0));
    double[] kitten = vector(out.get(1));
    double[] revenue = vector(out.get(2));
    assertEquals(384, cat.length);
    for (double[] v : List.of(cat, kitten, revenue)) {
      assertEquals(1.0, Math.sqrt(dot(v, v)), 1e-3);
    }
    double similar = dot(cat, kitten);
    double unrelated = dot(cat, revenue);
    assertTrue(similar > unrelated + 0.2, "cos(cat,kitten)=" + similar + " vs cos(cat,revenue)=" + unrelated);
  }

  @Test
  void sameSentencesGiveIdenticalEmbeddingsEveryRunWhateverTheirNeighbours() throws Exception {
    List<JsonNode> a = runner.run(minilm, texts("short", "a much longer sentence that needs more tokens to encode"), () -> false);
    List<JsonNode> b = runner.run(minilm, texts("short", "a much longer sentence that needs more tokens to encode"), () -> false);
    List<JsonNode> alone = runner.run(minilm, texts("short"), () -> false);
    assertEquals(Json.write(a), Json.write(b));
    assertArrayEquals(vector(a.get(0)), vector(alone.get(0)), 0.0, "no padding from a longer neighbour");
  }

  @Test
  void recordWithoutTextIsRefused() {
    RunnerException e = assertThrows(RunnerException.class,
        () -> runner.run(minilm, List.of(Json.tree("{\"pixels\":[1]}")), () -> false));
    assertTrue(e.getMessage().contains("\"text\""), e.getMessage());
  }

  @Test
  void archiveAskingForANativeLibraryIsRefused() throws Exception {
    Path zip = tmp.resolve("evil.zip");
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
      z.putNextEntry(new ZipEntry("serving.properties"));
      z.write((TextModelArchive.SERVING_PROPERTIES + "option.customOpLibrary=/tmp/evil.so\n").getBytes(StandardCharsets.UTF_8));
      z.closeEntry();
      z.putNextEntry(new ZipEntry("model.onnx"));
      new ByteArrayInputStream(Files.readAllBytes(org.idlegrid.client.testing.TestModels.file("digits-mlp.onnx"))).transferTo(z);
      z.closeEntry();
    }
    LocalModel evil = cached(zip);
    RunnerException e = assertThrows(RunnerException.class, () -> runner.run(evil, texts("hi"), () -> false));
    assertTrue(e.getMessage().contains("option.customOpLibrary"), e.getMessage());
  }

  @Test
  void archiveBytesAreReproducible() throws Exception {
    Path again = TextModelArchive.fromMiniLmJarResources(tmp.resolve("again.zip"));
    assertEquals(Hashes.contentId(Files.readAllBytes(tmp.resolve("minilm.zip"))), Hashes.contentId(Files.readAllBytes(again)));
  }
}
