package org.idlegrid.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.idlegrid.coordinator.testing.ApiClient;
import org.idlegrid.coordinator.testing.Models;
import org.idlegrid.json.Json;
import org.junit.jupiter.api.Test;

/** Bad input of every kind gets a clear JSON error with the right status and changes nothing. */
class InputValidationTest extends HttpTestBase {

  private void assertError(int status, String code, ApiClient.Answer a) {
    assertStatus(status, a);
    JsonNode body = a.json();
    assertEquals(code, body.get("error").asText(), a.toString());
    assertTrue(body.get("message").asText().length() > 10, "a message that explains: " + a);
  }

  private int jobCount(ApiClient c) {
    return c.get("api/v1/jobs").json().get("jobs").size();
  }

  @Test
  void malformedJsonIs400() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    assertError(400, "malformed-json", alice.post("api/v1/jobs", "{\"model\": "));
    assertError(400, "malformed-json", alice.post("api/v1/jobs", "[1,2]"));
    assertError(400, "malformed-json", alice.post("api/v1/jobs", "{\"model\":\"m\",\"unitSize\":\"many\"}"));
    assertError(400, "malformed-json", anonymous.post("api/v1/devices", "{publicKey}"));
    assertError(400, "malformed-json", admin.post("api/v1/keys", "nope"));
    assertError(400, "malformed-json", alice.post("api/v1/files", "{\"pixels\":[1]}\n{oops\n"));
    assertEquals(0, jobCount(alice));
  }

  @Test
  void oversizedBodiesAre413() throws Exception {
    start(config().maxJsonBytes(4096).maxUploadBytes(100_000).build());
    ApiClient alice = submitter("alice");
    byte[] big = ("{\"model\":\"" + "x".repeat(5000) + "\"}").getBytes(StandardCharsets.UTF_8);
    assertError(413, "too-large", alice.post("api/v1/jobs", big));
    assertError(413, "too-large", alice.post("api/v1/models?name=cnn",
        java.nio.file.Files.readAllBytes(Models.file("digits-cnn.onnx"))));
    assertError(413, "too-large", alice.post("api/v1/files",
        java.nio.file.Files.readAllBytes(Models.file("digits-test.jsonl"))));
    assertEquals(0, admin.get("api/v1/models").json().get("models").size());
    File[] blobs = dataDir.resolve("blobs").toFile().listFiles(f -> !f.getName().equals("tmp"));
    assertEquals(0, blobs.length, "nothing kept of a refused upload");
    assertEquals(0, dataDir.resolve("blobs/tmp").toFile().list().length);
  }

  @Test
  void aRecordOfTheWrongShapeIs422AndNoJobIsStored() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    List<JsonNode> rows = Models.jsonl("digits-test.jsonl").subList(0, 3);
    String good = Json.write(rows.get(0));
    String short63 = "{\"pixels\":" + Json.write(Json.tree(rows.get(1).get("pixels").toString()))
        .replaceFirst("^\\[[^,]*,", "[") + "}";
    ApiClient.Answer a = alice.post("api/v1/jobs", "{\"model\":\"digits-mlp\",\"records\":[" + good + "," + short63 + "]}");
    assertError(422, "invalid-input", a);
    String msg = a.json().get("message").asText();
    assertTrue(msg.contains("record 1") && msg.contains("pixels") && msg.contains("[63]"), msg);
    assertError(422, "invalid-input", alice.post("api/v1/jobs",
        "{\"model\":\"digits-mlp\",\"records\":[" + good.replaceFirst("0\\.0", "\"NaN\"") + "]}"));
    assertError(422, "invalid-input", alice.post("api/v1/jobs", "{\"model\":\"digits-mlp\",\"records\":[{\"image\":[1]}]}"));
    assertError(422, "invalid-input", alice.post("api/v1/jobs", "{\"model\":\"digits-mlp\",\"records\":[7]}"));
    assertError(422, "invalid-input", alice.post("api/v1/jobs", "{\"model\":\"digits-mlp\",\"records\":[]}"));
    String badFile = alice.post("api/v1/files", (good + "\n" + short63 + "\n").getBytes(StandardCharsets.UTF_8))
        .json().get("id").asText();
    ApiClient.Answer fromFile = alice.post("api/v1/jobs", "{\"model\":\"digits-mlp\",\"inputFile\":\"" + badFile + "\"}");
    assertError(422, "invalid-input", fromFile);
    assertTrue(fromFile.json().get("message").asText().contains("record 1"));
    assertEquals(0, jobCount(alice), "nothing stored");
  }

  @Test
  void badJobSettingsAre422NamingTheField() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    ApiClient.Answer q = inlineDigitsJob(alice, 2, 2, "{\"replicas\":2,\"quorum\":3}");
    assertError(422, "invalid-verification", q);
    assertTrue(q.json().get("message").asText().contains("verification.quorum"));
    assertError(422, "invalid-verification", inlineDigitsJob(alice, 2, 2, "{\"replicas\":3,\"maxReplicas\":2}"));
    assertError(422, "invalid-verification", inlineDigitsJob(alice, 2, 2, "{\"compare\":{\"mode\":\"vibes\"}}"));
    assertError(422, "invalid-verification", inlineDigitsJob(alice, 2, 2, "{\"quorum\":0}"));
    assertError(422, "invalid-job", inlineDigitsJob(alice, 2, 0, null));
    assertError(422, "unknown-model", alice.post("api/v1/jobs", "{\"model\":\"nope\",\"records\":[{}]}"));
    assertError(422, "unknown-file", alice.post("api/v1/jobs",
        "{\"model\":\"digits-mlp\",\"inputFile\":\"sha256:" + "0".repeat(64) + "\"}"));
    assertError(422, "invalid-job", alice.post("api/v1/jobs", "{\"model\":\"digits-mlp\"}"));
    assertEquals(0, jobCount(alice));
    assertStatus(404, alice.get("api/v1/jobs/j-unknown"));
    assertStatus(404, alice.get("api/v1/no-such-thing"));
    assertStatus(405, alice.send("PUT", "api/v1/jobs", new byte[0]));
  }

  @Test
  void whatIsNotAModelIs422AndAnArchiveIsAccepted() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    assertError(422, "invalid-model", alice.post("api/v1/models?name=junk", "definitely not onnx"));
    assertError(422, "invalid-model", alice.post("api/v1/models?name=zip",
        Models.zip(Map.of("notes.txt", "hi".getBytes(StandardCharsets.UTF_8)))));
    assertError(422, "invalid-parameter", alice.post("api/v1/models", "x"));
    assertEquals(0, alice.get("api/v1/models").json().get("models").size());
    ApiClient.Answer ok = alice.post("api/v1/models?name=minilm", Models.textEmbeddingArchive());
    assertStatus(201, ok);
    assertEquals("text", ok.json().get("inputs").get("kind").asText());
    assertError(422, "invalid-input", alice.post("api/v1/jobs", "{\"model\":\"minilm\",\"records\":[{\"text\":\"\"}]}"));
    assertStatus(201, alice.post("api/v1/jobs", "{\"model\":\"minilm\",\"records\":[{\"text\":\"hello world\"}]}"));
    ApiClient.Answer cnn = alice.post("api/v1/models?name=cnn&engine=OnnxRuntime",
        java.nio.file.Files.readAllBytes(Models.file("digits-cnn.onnx")));
    assertStatus(201, cnn);
    assertEquals("sha256:2ebfadd9cefee46c726e3d4164916053ff2ed7d8e98569fc0d37b8b4cca41b35", cnn.json().get("id").asText());
    assertEquals(2, alice.get("api/v1/models").json().get("models").size());
  }

  @Test
  void aFileIsCountedInRecords() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    ApiClient.Answer a = alice.post("api/v1/files", java.nio.file.Files.readAllBytes(Models.file("digits-test.jsonl")));
    assertStatus(201, a);
    assertEquals(540, a.json().get("records").asInt());
    assertError(422, "invalid-input", alice.post("api/v1/files", "[1]\n"));
    assertError(422, "invalid-input", alice.post("api/v1/files", "\n\n"));
  }
}
