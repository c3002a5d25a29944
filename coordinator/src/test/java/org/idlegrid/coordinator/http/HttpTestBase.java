package org.idlegrid.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.idlegrid.coordinator.Coordinator;
import org.idlegrid.coordinator.CoordinatorConfig;
import org.idlegrid.coordinator.testing.ApiClient;
import org.idlegrid.coordinator.testing.Models;
import org.idlegrid.coordinator.testing.MutableClock;
import org.idlegrid.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** Starts a real coordinator on loopback for each test, with a fake clock. */
abstract class HttpTestBase {
  @TempDir
  Path dataDir;
  final MutableClock clock = new MutableClock();
  Coordinator coordinator;
  ApiClient anonymous;
  ApiClient admin;

  static final Map<Integer, JsonNode> EXPECTED = new HashMap<>();

  static {
    try {
      for (JsonNode row : Models.jsonl("digits-mlp.expected.jsonl")) {
        EXPECTED.put(row.get("id").asInt(), row.get("logits"));
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What an honest device computes for a digits row: the expected logits of its id. */
  static final Function<JsonNode, JsonNode> DIGITS = record -> {
    ObjectNode out = Json.mapper().createObjectNode();
    out.set("logits", EXPECTED.get(record.get("id").asInt()));
    return out;
  };

  CoordinatorConfig.Builder config() {
    return CoordinatorConfig.builder().dataDir(dataDir).clock(clock).maxJsonBytes(256 * 1024)
        .maxUploadBytes(4L << 20);
  }

  void start(CoordinatorConfig config) throws IOException {
    coordinator = Coordinator.start(config);
    anonymous = new ApiClient(coordinator.baseUri(), null);
    admin = anonymous.as(coordinator.adminKey());
  }

  void start() throws IOException {
    start(config().build());
  }

  @AfterEach
  void stop() {
    if (coordinator != null) {
      coordinator.close();
    }
  }

  ApiClient submitter(String name) {
    ApiClient.Answer a = admin.post("api/v1/keys", "{\"role\":\"submitter\",\"name\":\"" + name + "\"}");
    assertEquals(201, a.status(), a.toString());
    return anonymous.as(a.json().get("key").asText());
  }

  String uploadModel(ApiClient client, String file, String name) throws IOException {
    ApiClient.Answer a = client.post("api/v1/models?name=" + name + "&engine=OnnxRuntime",
        Files.readAllBytes(Models.file(file)));
    assertEquals(201, a.status(), a.toString());
    return a.json().get("id").asText();
  }

  String uploadFile(ApiClient client, String file) throws IOException {
    ApiClient.Answer a = client.post("api/v1/files", Files.readAllBytes(Models.file(file)));
    assertEquals(201, a.status(), a.toString());
    return a.json().get("id").asText();
  }

  /** Submits a job over the digits test rows (540 records). */
  String digitsJob(ApiClient client, int unitSize, String verification) throws IOException {
    uploadModel(client, "digits-mlp.onnx", "digits-mlp");
    String file = uploadFile(client, "digits-test.jsonl");
    ApiClient.Answer a = client.post("api/v1/jobs", "{\"name\":\"digits\",\"model\":\"digits-mlp\",\"inputFile\":\""
        + file + "\",\"unitSize\":" + unitSize + (verification == null ? "" : ",\"verification\":" + verification) + "}");
    assertEquals(201, a.status(), a.toString());
    assertEquals("QUEUED", a.json().get("state").asText());
    return a.json().get("id").asText();
  }

  /** Inline-record job over the first {@code n} digits rows. */
  ApiClient.Answer inlineDigitsJob(ApiClient client, int n, int unitSize, String verification) throws IOException {
    List<JsonNode> rows = Models.jsonl("digits-test.jsonl").subList(0, n);
    return client.post("api/v1/jobs", "{\"model\":\"digits-mlp\",\"records\":" + Json.write(rows) + ",\"unitSize\":"
        + unitSize + (verification == null ? "" : ",\"verification\":" + verification) + "}");
  }

  JsonNode job(ApiClient client, String id) {
    ApiClient.Answer a = client.get("api/v1/jobs/" + id);
    assertEquals(200, a.status(), a.toString());
    return a.json();
  }

  /** alice, a submitter, uploads digits-mlp and posts a job of its first {@code n} test rows; returns alice. */
  ApiClient aliceWithDigitsJob(int n, int unitSize, String verification) throws IOException {
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    assertStatus(201, inlineDigitsJob(alice, n, unitSize, verification));
    return alice;
  }

  static void assertStatus(int expected, ApiClient.Answer a) {
    if (a.status() != expected) {
      fail("expected " + expected + " but got " + a);
    }
  }
}
