package org.idlegrid.coordinator.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.EnrollRequest;
import org.idlegrid.protocol.Platform;
import org.idlegrid.protocol.WorkRequest;
import org.idlegrid.signing.Ed25519;

/**
 * A device written for tests: enrolls with its own Ed25519 key, polls for work, checks the
 * coordinator's signature on every assignment, and returns signed results computed by a
 * function of the record (e.g. the expected logits of a digits row).
 */
public final class FakeDevice {
  public final Ed25519.KeyPair key = Ed25519.generate();
  public final String id;
  public final String token;
  public ApiClient api;
  private final Ed25519.PublicKey coordinatorKey;

  public FakeDevice(ApiClient anonymous, String name, String owner) {
    this(anonymous, name, owner, null);
  }

  public FakeDevice(ApiClient anonymous, String name, String owner, String enrollmentToken) {
    ApiClient.Answer a = anonymous.postJson("api/v1/devices", new EnrollRequest(key.publicKey().base64(), name, owner,
        new Platform("linux", "amd64", 2, 1024, null), List.of("OnnxRuntime"), Map.of(), enrollmentToken));
    assertEquals(201, a.status(), a.toString());
    id = a.json().get("deviceId").asText();
    token = a.json().get("token").asText();
    coordinatorKey = Ed25519.PublicKey.fromBase64(a.json().get("coordinatorKey").asText());
    api = anonymous.as(token);
  }

  /** Talks to the coordinator at a new address from now on (same token, same key). */
  public void reconnect(java.net.URI base) {
    api = api.at(base);
  }

  /** Polls once; returns the assignments (each signature checked), empty on 204. */
  public List<ObjectNode> work(int slots, long waitMs) {
    ApiClient.Answer a = api.postJson("api/v1/devices/" + id + "/work", new WorkRequest(slots, List.of(), waitMs));
    if (a.status() == 204) {
      return List.of();
    }
    assertEquals(200, a.status(), a.toString());
    return assignments(a);
  }

  public List<ObjectNode> assignments(ApiClient.Answer a) {
    List<ObjectNode> out = new ArrayList<>();
    for (JsonNode n : a.json().get("assignments")) {
      ObjectNode o = (ObjectNode) n;
      assertTrue(coordinatorKey.verifyJson(o), "the coordinator's signature verifies");
      assertEquals(coordinatorKey.keyId(), o.get("keyId").asText());
      out.add(o);
    }
    return out;
  }

  /** A signed result body for the assignment with these outputs. */
  public ObjectNode resultBody(ObjectNode assignment, List<JsonNode> outputs) {
    ObjectNode body = Json.mapper().createObjectNode();
    body.put("assignmentId", assignment.get("assignmentId").asText());
    body.putArray("outputs").addAll(outputs);
    body.put("elapsedMs", 7);
    body.put("signature", key.privateKey().signJson(body));
    return body;
  }

  public List<JsonNode> compute(ObjectNode assignment, Function<JsonNode, JsonNode> fn) {
    List<JsonNode> outputs = new ArrayList<>();
    assignment.get("records").forEach(r -> outputs.add(fn.apply(r)));
    return outputs;
  }

  public ApiClient.Answer submit(ObjectNode assignment, Function<JsonNode, JsonNode> fn) {
    return api.postJson("api/v1/assignments/" + assignment.get("assignmentId").asText() + "/result",
        resultBody(assignment, compute(assignment, fn)));
  }

  public ApiClient.Answer abort(ObjectNode assignment, String reason) {
    return api.post("api/v1/assignments/" + assignment.get("assignmentId").asText() + "/abort",
        "{\"reason\":\"" + reason + "\"}");
  }
}
