package org.idlegrid.bench.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.idlegrid.bench.TempDirs;
import org.idlegrid.coordinator.Coordinator;
import org.idlegrid.coordinator.CoordinatorConfig;
import org.idlegrid.json.Json;
import org.idlegrid.signing.Ed25519;

/**
 * Coordinator dispatch throughput on loopback: many simulated devices (virtual threads, one
 * shared JDK HTTP client) enroll, long-poll for work, sign and upload results; every unit is
 * replicated twice, so each valid unit is two assignments issued, two results accepted and one
 * validation. The same load generator then drives a no-op Jetty endpoint for a baseline of
 * what the HTTP stack alone does on this machine, and the ratio is printed.
 *
 * <pre>
 * java -cp bench/target/idlegrid-simulator.jar org.idlegrid.bench.dispatch.DispatchBench \
 *      --devices 2000 --units 20000 --seconds 30
 * </pre>
 *
 * Prints one JSON line: unitsPerSecond, deviceRequestsPerSecond, noopRequestsPerSecond, ratio,
 * workFetchP50Ms, workFetchP99Ms (of work requests that got work), devices, units.
 */
public final class DispatchBench {
  private static final String MODELS = System.getProperty("idlegrid.models.dir", "../shared/models");

  public static void main(String[] args) throws Exception {
    int devices = intArg(args, "--devices", 2000);
    int units = intArg(args, "--units", 20000);
    int seconds = intArg(args, "--seconds", 30);
    Path data = Files.createTempDirectory("idlegrid-dispatch-");
    HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor())
        .connectTimeout(Duration.ofSeconds(10)).build();
    System.err.printf(Locale.ROOT, "dispatch bench: %d devices, %d units (replicas 2), at most %d s%n", devices, units, seconds);

    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    Result grid;
    try (Coordinator c = Coordinator.start(CoordinatorConfig.builder().dataDir(data).port(0).build())) {
      grid = runGrid(http, c, devices, units, seconds);
    } finally {
      TempDirs.deleteTree(data);
    }
    double noop = runNoop(http, devices, Math.min(seconds, 15));
    System.out.println(String.format(Locale.ROOT,
        "{\"unitsPerSecond\":%.1f,\"deviceRequestsPerSecond\":%.1f,\"noopRequestsPerSecond\":%.1f,\"ratio\":%.3f,"
            + "\"workFetchP50Ms\":%.2f,\"workFetchP99Ms\":%.2f,\"devices\":%d,\"units\":%d,\"validUnits\":%d}",
        grid.unitsPerSecond, grid.requestsPerSecond, noop, grid.requestsPerSecond / noop, grid.p50, grid.p99,
        devices, units, grid.valid));
    System.exit(0);
  }

  record Result(double unitsPerSecond, double requestsPerSecond, double p50, double p99, long valid) {}

  static Result runGrid(HttpClient http, Coordinator c, int devices, int units, int seconds) throws Exception {
    URI base = c.baseUri();
    String admin = c.adminKey();
    String key = Json.tree(send(http, base, "POST", "/api/v1/keys", admin,
        "{\"role\":\"submitter\",\"name\":\"bench\"}".getBytes(StandardCharsets.UTF_8)).body()).get("key").asText();
    send(http, base, "POST", "/api/v1/models?name=digits-mlp&engine=OnnxRuntime", key,
        Files.readAllBytes(Path.of(MODELS, "digits-mlp.onnx")));
    StringBuilder input = new StringBuilder();
    String pixels = Arrays.toString(new double[64]);
    for (int i = 0; i < units; i++) {
      input.append("{\"pixels\":").append(pixels).append("}\n");
    }
    String file = Json.tree(send(http, base, "POST", "/api/v1/files", key,
        input.toString().getBytes(StandardCharsets.UTF_8)).body()).get("id").asText();

    // enroll every device first (not timed)
    List<Device> fleet = new ArrayList<>();
    for (int i = 0; i < devices; i++) {
      Ed25519.KeyPair kp = Ed25519.generate();
      ObjectNode enroll = Json.mapper().createObjectNode();
      enroll.put("publicKey", kp.publicKey().base64()).put("name", "bench-" + i).put("owner", "owner-" + i);
      enroll.putArray("engines").add("OnnxRuntime");
      JsonNode r = Json.tree(send(http, base, "POST", "/api/v1/devices", null, Json.writeBytes(enroll)).body());
      fleet.add(new Device(r.get("deviceId").asText(), r.get("token").asText(), kp));
    }
    String job = Json.tree(send(http, base, "POST", "/api/v1/jobs", key, ("{\"model\":\"digits-mlp\",\"inputFile\":\"" + file
        + "\",\"unitSize\":1,\"verification\":{\"replicas\":2,\"quorum\":2,\"adaptive\":false}}").getBytes(StandardCharsets.UTF_8))
        .body()).get("id").asText();

    LongAdder requests = new LongAdder();
    long[] latencies = new long[units * 3];
    AtomicLong latencyCount = new AtomicLong();
    long start = System.nanoTime();
    long deadline = start + Duration.ofSeconds(seconds).toNanos();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Device d : fleet) {
        pool.submit(() -> {
          d.work(http, base, deadline, requests, latencies, latencyCount);
          return null;
        });
      }
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    JsonNode status = Json.tree(send(http, base, "GET", "/api/v1/jobs/" + job, key, null).body());
    long valid = status.get("units").get("valid").asLong();
    int n = (int) Math.min(latencyCount.get(), latencies.length);
    long[] l = Arrays.copyOf(latencies, n);
    Arrays.sort(l);
    double p50 = n == 0 ? 0 : l[n / 2] / 1e6;
    double p99 = n == 0 ? 0 : l[Math.min(n - 1, (int) (n * 0.99))] / 1e6;
    return new Result(valid / elapsed, requests.sum() / elapsed, p50, p99, valid);
  }

  record Device(String id, String token, Ed25519.KeyPair key) {
    void work(HttpClient http, URI base, long deadline, LongAdder requests, long[] latencies, AtomicLong latencyCount)
        throws Exception {
      byte[] ask = "{\"slots\":1,\"waitMs\":200}".getBytes(StandardCharsets.UTF_8);
      int emptyInARow = 0;
      while (System.nanoTime() < deadline && emptyInARow < 3) {
        long t0 = System.nanoTime();
        HttpResponse<byte[]> r = send(http, base, "POST", "/api/v1/devices/" + id + "/work", token, ask);
        requests.increment();
        if (r.statusCode() != 200) {
          emptyInARow++;
          continue;
        }
        emptyInARow = 0;
        long i = latencyCount.getAndIncrement();
        if (i < latencies.length) {
          latencies[(int) i] = System.nanoTime() - t0;
        }
        for (JsonNode a : Json.tree(r.body()).get("assignments")) {
          ObjectNode result = Json.mapper().createObjectNode();
          result.put("assignmentId", a.get("assignmentId").asText());
          ArrayNode outputs = result.putArray("outputs");
          for (int k = 0; k < a.get("records").size(); k++) {
            ArrayNode logits = outputs.addObject().putArray("logits");
            for (int j = 0; j < 10; j++) {
              logits.add(j * 0.5);
            }
          }
          result.put("elapsedMs", 1);
          result.put("signature", key.privateKey().signJson(result));
          send(http, base, "POST", "/api/v1/assignments/" + a.get("assignmentId").asText() + "/result", token,
              Json.writeBytes(result));
          requests.increment();
        }
      }
    }
  }

  /** The same load shape (a work-sized POST then a result-sized POST per round) against a no-op Jetty handler. */
  static double runNoop(HttpClient http, int devices, int seconds) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract.NonBlocking() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        response.setStatus(200);
        response.write(true, ByteBuffer.wrap("{}".getBytes(StandardCharsets.UTF_8)), callback);
        return true;
      }
    });
    server.start();
    try {
      URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
      LongAdder requests = new LongAdder();
      byte[] body = new byte[700];
      Arrays.fill(body, (byte) ' ');
      long start = System.nanoTime();
      long deadline = start + Duration.ofSeconds(seconds).toNanos();
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < devices; i++) {
          pool.submit(() -> {
            while (System.nanoTime() < deadline) {
              send(http, base, "POST", "/noop", "token", body);
              requests.increment();
            }
            return null;
          });
        }
      }
      return requests.sum() / ((System.nanoTime() - start) / 1e9);
    } finally {
      server.stop();
    }
  }

  static HttpResponse<byte[]> send(HttpClient http, URI base, String method, String path, String bearer, byte[] body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static int intArg(String[] args, String name, int dflt) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return dflt;
  }
}
