package org.idlegrid.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.idlegrid.client.ClientConfig;
import org.idlegrid.client.DeviceClient;
import org.idlegrid.client.net.Backoff;
import org.idlegrid.coordinator.Coordinator;
import org.idlegrid.coordinator.CoordinatorConfig;
import org.idlegrid.json.Json;

/**
 * A real grid in one JVM for integration tests: a coordinator on SQLite in a temp folder and
 * device clients, talking over loopback HTTP. Nothing is mocked; the tests act as a submitter
 * through the public API and read the coordinator's database only to look (never to change).
 */
final class Grid implements AutoCloseable {
  static final Path MODELS = Path.of(System.getProperty("idlegrid.models.dir", "../../shared/models"));

  private final Path root;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<DeviceClient> clients = new ArrayList<>();
  private CoordinatorConfig config;
  private Coordinator coordinator;
  private String submitterKey;

  Grid(Path root, Duration assignmentTimeout) throws IOException, InterruptedException {
    this(root, assignmentTimeout, b -> b);
  }

  Grid(Path root, Duration assignmentTimeout, java.util.function.UnaryOperator<CoordinatorConfig.Builder> custom)
      throws IOException, InterruptedException {
    this.root = root;
    this.config = custom.apply(CoordinatorConfig.builder().dataDir(root.resolve("coordinator")).port(0)
        .assignmentTimeout(assignmentTimeout).sweepInterval(Duration.ofMillis(200))).build();
    this.coordinator = Coordinator.start(config);
    // keep the port so that a restarted coordinator is found at the same address
    this.config = config.toBuilder().port(coordinator.port()).build();
    this.submitterKey = Json.tree(call("POST", "/api/v1/keys", coordinator.adminKey(),
        "{\"role\":\"submitter\",\"name\":\"it\"}".getBytes(StandardCharsets.UTF_8), 201)).get("key").asText();
  }

  Coordinator coordinator() {
    return coordinator;
  }

  URI base() {
    return coordinator.baseUri();
  }

  /** Stops the coordinator (as a crash would leave it: nothing is drained) and starts it again. */
  void stopCoordinator() {
    coordinator.close();
    coordinator = null;
  }

  void startCoordinator() throws IOException {
    coordinator = Coordinator.start(config);
  }

  DeviceClient client(String name) throws IOException {
    return client(name, b -> b);
  }

  DeviceClient client(String name, java.util.function.UnaryOperator<ClientConfig.Builder> custom) throws IOException {
    return client(name, URI.create(config.host().equals("127.0.0.1")
        ? "http://127.0.0.1:" + config.port() : base().toString()), custom);
  }

  /** A client that reaches the coordinator at {@code via} (a proxy that can cut its network). */
  DeviceClient client(String name, URI via, java.util.function.UnaryOperator<ClientConfig.Builder> custom)
      throws IOException {
    ClientConfig.Builder b = ClientConfig.builder(via, root.resolve("clients").resolve(name))
        .policy("always").name(name).owner("owner-" + name).threads(1)
        .pollWait(Duration.ofSeconds(2)).backoff(Backoff.of(Duration.ofMillis(50), Duration.ofMillis(500)));
    DeviceClient c = DeviceClient.start(custom.apply(b).build());
    clients.add(c);
    return c;
  }

  Path clientDir(String name) {
    return root.resolve("clients").resolve(name);
  }

  String key() {
    return submitterKey;
  }

  String uploadModel(String name, byte[] bytes) throws IOException, InterruptedException {
    return Json.tree(call("POST", "/api/v1/models?name=" + name + "&engine=OnnxRuntime", submitterKey, bytes, 201))
        .get("id").asText();
  }

  String uploadFile(byte[] jsonl) throws IOException, InterruptedException {
    return Json.tree(call("POST", "/api/v1/files", submitterKey, jsonl, 201)).get("id").asText();
  }

  String submit(String jobJson) throws IOException, InterruptedException {
    return Json.tree(call("POST", "/api/v1/jobs", submitterKey, jobJson.getBytes(StandardCharsets.UTF_8), 201))
        .get("id").asText();
  }

  JsonNode job(String id) throws IOException, InterruptedException {
    return Json.tree(call("GET", "/api/v1/jobs/" + id, submitterKey, null, 200));
  }

  List<JsonNode> results(String id) throws IOException, InterruptedException {
    return lines(call("GET", "/api/v1/jobs/" + id + "/results", submitterKey, null, 200));
  }

  /** The JSON objects of an NDJSON / JSONL body, one per non-blank line. */
  static List<JsonNode> lines(byte[] ndjson) {
    List<JsonNode> out = new ArrayList<>();
    for (String line : new String(ndjson, StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        out.add(Json.tree(line));
      }
    }
    return out;
  }

  /**
   * Asserts a digits-mlp job's results: one line per input record, {"id": i, ...} in input
   * order, every logit within 1e-4 of the reference ({@code digits-mlp.expected.jsonl}).
   */
  static void assertDigitsResults(List<JsonNode> results, int records) throws IOException {
    List<JsonNode> expected = jsonl(MODELS.resolve("digits-mlp.expected.jsonl"));
    if (results.size() != records) {
      throw new AssertionError("expected one result line per input record: " + records + ", got " + results.size());
    }
    for (int i = 0; i < results.size(); i++) {
      JsonNode line = results.get(i);
      if (line.get("id").asInt() != i) {
        throw new AssertionError("results not in input order: line " + i + " has id " + line.get("id"));
      }
      JsonNode got = line.get("output").get("logits");
      JsonNode want = expected.get(i).get("logits");
      if (got.size() != want.size()) {
        throw new AssertionError("record " + i + ": " + got.size() + " logits, expected " + want.size());
      }
      for (int j = 0; j < want.size(); j++) {
        if (!(Math.abs(want.get(j).asDouble() - got.get(j).asDouble()) <= 1e-4)) {
          throw new AssertionError("record " + i + " logit " + j + ": " + got.get(j) + ", expected " + want.get(j));
        }
      }
    }
  }

  /** Waits (polling the public API) until the job is COMPLETED; fails fast if it FAILED. */
  JsonNode awaitCompleted(String id, Duration timeout) throws Exception {
    long until = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonNode s = job(id);
      String state = s.get("state").asText();
      if (state.equals("COMPLETED")) {
        return s;
      }
      if (state.equals("FAILED") || state.equals("CANCELLED") || System.nanoTime() > until) {
        throw new AssertionError("job " + id + " is " + state + " after waiting: " + s);
      }
      Thread.sleep(100);
    }
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  byte[] call(String method, String path, String bearer, byte[] body, int expect) throws IOException, InterruptedException {
    return call(http, base(), method, path, bearer, body, expect);
  }

  HttpResponse<byte[]> send(String method, String path, String bearer, byte[] body) throws IOException, InterruptedException {
    return send(http, base(), method, path, bearer, body);
  }

  /** {@code method path} at {@code base}; fails unless the answer has status {@code expect}. */
  static byte[] call(HttpClient http, URI base, String method, String path, String bearer, byte[] body, int expect)
      throws IOException, InterruptedException {
    HttpResponse<byte[]> r = send(http, base, method, path, bearer, body);
    if (r.statusCode() != expect) {
      throw new AssertionError(method + " " + path + " answered " + r.statusCode() + " (expected " + expect + "): "
          + new String(r.body(), StandardCharsets.UTF_8));
    }
    return r.body();
  }

  static HttpResponse<byte[]> send(HttpClient http, URI base, String method, String path, String bearer, byte[] body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Rows of {@code sql} from the coordinator's database, read-only, each row as strings. */
  List<List<String>> query(String sql, Object... args) {
    Path db = root.resolve("coordinator");
    try (var files = Files.list(db)) {
      Path file = files.filter(p -> p.toString().endsWith(".db") || p.toString().endsWith(".sqlite")).findFirst()
          .orElseThrow(() -> new AssertionError("no database in " + db));
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file + "?open_mode=1");
           var st = c.prepareStatement(sql)) {
        for (int i = 0; i < args.length; i++) {
          st.setObject(i + 1, args[i]);
        }
        List<List<String>> rows = new ArrayList<>();
        try (ResultSet rs = st.executeQuery()) {
          int n = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            List<String> row = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
              row.add(rs.getString(i));
            }
            rows.add(row);
          }
        }
        return rows;
      }
    } catch (IOException | SQLException e) {
      throw new AssertionError(e);
    }
  }

  /** The digits test set as JSONL of {"pixels":[…]} records (the id and label left out). */
  static byte[] digitsInput() throws IOException {
    StringBuilder sb = new StringBuilder();
    for (JsonNode row : digitsRows()) {
      sb.append("{\"pixels\":").append(Json.write(row.get("pixels"))).append("}\n");
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  static List<JsonNode> digitsRows() throws IOException {
    return jsonl(MODELS.resolve("digits-test.jsonl"));
  }

  static List<JsonNode> jsonl(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (!line.isBlank()) {
        out.add(Json.tree(line));
      }
    }
    return out;
  }

  @Override
  public void close() {
    for (DeviceClient c : clients) {
      try {
        c.close();
      } catch (Exception e) {
        // already stopped or killed
      }
    }
    if (coordinator != null) {
      coordinator.close();
    }
  }
}
