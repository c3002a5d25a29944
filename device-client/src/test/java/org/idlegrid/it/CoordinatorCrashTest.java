package org.idlegrid.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
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
import java.util.Random;
import org.idlegrid.client.ClientConfig;
import org.idlegrid.client.DeviceClient;
import org.idlegrid.client.net.Backoff;
import org.idlegrid.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a coordinator process at random moments during a job: after each restart on the
 * same data folder the job goes on, and when it completes every record's result is there once
 * and matches the reference. The coordinator runs as a real separate process (SIGKILL, no
 * shutdown hook, no flush); the device clients run in this JVM and ride out the outages.
 */
class CoordinatorCrashTest {
  @TempDir Path dir;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process coordinator;
  private int port;

  @Test
  void aCoordinatorKilledAtRandomMomentsFinishesTheJobWithEveryRecordOnce() throws Exception {
    port = freePort();
    Path data = dir.resolve("coordinator");
    start(data);
    String admin = Files.readString(data.resolve("admin.key")).trim();
    String key = Json.tree(call("POST", "/api/v1/keys", admin, "{\"role\":\"submitter\",\"name\":\"crash\"}", 201))
        .get("key").asText();
    call("POST", "/api/v1/models?name=digits-mlp&engine=OnnxRuntime", key,
        Files.readAllBytes(Grid.MODELS.resolve("digits-mlp.onnx")), 201);
    String file = Json.tree(call("POST", "/api/v1/files", key, Grid.digitsInput(), 201)).get("id").asText();
    String job = Json.tree(call("POST", "/api/v1/jobs", key, "{\"model\":\"digits-mlp\",\"inputFile\":\"" + file
        + "\",\"unitSize\":4,\"verification\":{\"replicas\":2,\"quorum\":2}}", 201)).get("id").asText();

    List<DeviceClient> clients = new ArrayList<>();
    try {
      for (String name : List.of("a", "b", "c")) {
        clients.add(DeviceClient.start(ClientConfig.builder(URI.create("http://127.0.0.1:" + port), dir.resolve(name))
            .policy("always").name(name).owner("owner-" + name).threads(1).pollWait(Duration.ofSeconds(1))
            .backoff(Backoff.of(Duration.ofMillis(50), Duration.ofMillis(300))).build()));
      }
      Random random = new Random(42);
      int kills = 0;
      for (int i = 0; i < 3; i++) {
        Thread.sleep(300 + random.nextInt(700));
        if (state(key, job).equals("COMPLETED")) {
          break;
        }
        coordinator.destroyForcibly().waitFor(); // SIGKILL
        kills++;
        start(data);
      }
      assertTrue(kills >= 1, "the coordinator was killed at least once mid-job");

      long until = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (!state(key, job).equals("COMPLETED")) {
        assertTrue(System.nanoTime() < until, "the job completes after the restarts");
        Thread.sleep(100);
      }
      JsonNode status = Json.tree(call("GET", "/api/v1/jobs/" + job, key, (byte[]) null, 200));
      assertEquals(135, status.get("units").get("valid").asInt());
      assertEquals(540, status.get("records").get("done").asInt());

      // every record once, in input order, matching the reference
      Grid.assertDigitsResults(Grid.lines(call("GET", "/api/v1/jobs/" + job + "/results", key, (byte[]) null, 200)), 540);
    } finally {
      for (DeviceClient c : clients) {
        c.close();
      }
      coordinator.destroyForcibly().waitFor();
    }
  }

  private void start(Path data) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    coordinator = new ProcessBuilder(java.toString(), "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        "org.idlegrid.coordinator.Main", "serve", "--data", data.toString(), "--host", "127.0.0.1",
        "--port", Integer.toString(port), "--assignment-timeout", "5s")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("coordinator.log").toFile()))
        .start();
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
            HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      }
      if (!coordinator.isAlive() || System.nanoTime() > until) {
        throw new AssertionError("coordinator did not start: " + Files.readString(dir.resolve("coordinator.log")));
      }
      Thread.sleep(50);
    }
  }

  private String state(String key, String job) throws Exception {
    return Json.tree(call("GET", "/api/v1/jobs/" + job, key, (byte[]) null, 200)).get("state").asText();
  }

  private byte[] call(String method, String path, String bearer, String body, int expect) throws Exception {
    return call(method, path, bearer, body.getBytes(StandardCharsets.UTF_8), expect);
  }

  private byte[] call(String method, String path, String bearer, byte[] body, int expect) throws Exception {
    return Grid.call(http, URI.create("http://127.0.0.1:" + port), method, path, bearer, body, expect);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
