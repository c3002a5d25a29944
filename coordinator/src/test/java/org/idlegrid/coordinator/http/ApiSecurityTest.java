package org.idlegrid.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.idlegrid.coordinator.CoordinatorConfig;
import org.idlegrid.coordinator.testing.ApiClient;
import org.idlegrid.coordinator.testing.FakeDevice;
import org.idlegrid.json.Hashes;
import org.junit.jupiter.api.Test;

/** Every endpoint × every role: 401 without a valid key, 403 for the wrong role, 404 for others' things. */
class ApiSecurityTest extends HttpTestBase {
  enum Who { SUBMITTER, ADMIN, DEVICE }

  record Endpoint(String method, String path, Set<Who> allowed) {}

  @Test
  void everyEndpointRefusesMissingOrWrongKeysAndWrongRoles() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    FakeDevice device = new FakeDevice(anonymous, "d", "o");
    String modelHex = Hashes.hexOf(uploadModel(alice, "digits-mlp.onnx", "digits-mlp"));
    Set<Who> submitters = Set.of(Who.SUBMITTER, Who.ADMIN);
    Set<Who> admins = Set.of(Who.ADMIN);
    Set<Who> devices = Set.of(Who.DEVICE);
    List<Endpoint> endpoints = List.of(
        new Endpoint("POST", "api/v1/models?name=x", submitters),
        new Endpoint("GET", "api/v1/models", submitters),
        new Endpoint("POST", "api/v1/files", submitters),
        new Endpoint("POST", "api/v1/jobs", submitters),
        new Endpoint("GET", "api/v1/jobs", submitters),
        new Endpoint("GET", "api/v1/jobs/j-1", submitters),
        new Endpoint("GET", "api/v1/jobs/j-1/results", submitters),
        new Endpoint("DELETE", "api/v1/jobs/j-1", submitters),
        new Endpoint("POST", "api/v1/keys", admins),
        new Endpoint("DELETE", "api/v1/keys/alice", admins),
        new Endpoint("POST", "api/v1/enrollment-tokens", admins),
        new Endpoint("GET", "api/v1/devices", admins),
        new Endpoint("GET", "api/v1/devices/" + device.id, admins),
        new Endpoint("POST", "api/v1/devices/" + device.id + "/ban", admins),
        new Endpoint("POST", "api/v1/devices/" + device.id + "/release", admins),
        new Endpoint("POST", "api/v1/devices/" + device.id + "/work", devices),
        new Endpoint("GET", "api/v1/blobs/" + modelHex, Set.of(Who.SUBMITTER, Who.ADMIN, Who.DEVICE)),
        new Endpoint("GET", "api/v1/assignments/a-1", devices),
        new Endpoint("POST", "api/v1/assignments/a-1/result", devices),
        new Endpoint("POST", "api/v1/assignments/a-1/abort", devices));
    ApiClient wrong = anonymous.as("igk_not-a-real-key");
    for (Endpoint e : endpoints) {
      ApiClient.Answer none = anonymous.send(e.method(), e.path(), new byte[0]);
      assertEquals(401, none.status(), e + " without a key: " + none);
      assertEquals("unauthorized", none.error());
      assertEquals(401, wrong.send(e.method(), e.path(), new byte[0]).status(), e + " with a wrong key");
      for (Who who : Who.values()) {
        if (e.allowed().contains(who)) {
          continue;
        }
        ApiClient as = switch (who) {
          case SUBMITTER -> alice;
          case ADMIN -> admin;
          case DEVICE -> device.api;
        };
        ApiClient.Answer a = as.send(e.method(), e.path(), new byte[0]);
        assertEquals(403, a.status(), e + " as " + who + ": " + a);
        assertEquals("forbidden", a.error());
      }
    }
    assertEquals(200, anonymous.get("healthz").status(), "only /healthz is open");
  }

  @Test
  void adminKeyIsWrittenOnceWithMode600AndWorks() throws Exception {
    start();
    var file = dataDir.resolve("admin.key");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(coordinator.adminKey(), Files.readString(file).trim());
    assertStatus(200, admin.get("api/v1/devices"));
    String dbText = new String(Files.readAllBytes(dataDir.resolve("coordinator.db")), java.nio.charset.StandardCharsets.ISO_8859_1);
    assertTrue(!dbText.contains(coordinator.adminKey()), "only the key's hash is stored");
    coordinator.close();
    String before = coordinator.adminKey();
    start();
    assertEquals(before, coordinator.adminKey(), "the same key after a restart");
  }

  @Test
  void anAdminKeyFileMayHoldAnyTextEvenOneShapedLikeADeviceToken() throws Exception {
    // the token's prefix only says which table is asked first: a key written by hand still works
    Files.writeString(dataDir.resolve("admin.key"), "igd_written-by-hand\n");
    start();
    assertEquals("igd_written-by-hand", coordinator.adminKey());
    assertStatus(200, admin.get("api/v1/devices"));
    FakeDevice d = new FakeDevice(anonymous, "d", "o");
    assertStatus(403, d.api.get("api/v1/devices"));
    assertStatus(401, anonymous.as("igd_not-issued").get("api/v1/devices"));
  }

  @Test
  void aDeviceCannotReadOrAnswerAnotherDevicesAssignment() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    String modelHex = Hashes.hexOf(uploadModel(alice, "digits-mlp.onnx", "digits-mlp"));
    assertStatus(201, inlineDigitsJob(alice, 4, 4, "{\"replicas\":1,\"quorum\":1}"));
    FakeDevice a = new FakeDevice(anonymous, "a", "ann");
    FakeDevice b = new FakeDevice(anonymous, "b", "ben");
    assertStatus(404, b.api.get("api/v1/blobs/" + modelHex));
    ObjectNode work = a.work(1, 0).get(0);
    assertStatus(200, a.api.get("api/v1/blobs/" + modelHex));
    assertStatus(404, b.api.get("api/v1/blobs/" + modelHex));
    String id = work.get("assignmentId").asText();
    ApiClient.Answer answer = b.api.postJson("api/v1/assignments/" + id + "/result",
        b.resultBody(work, b.compute(work, DIGITS)));
    assertStatus(404, answer);
    assertStatus(404, b.abort(work, "user-active"));
    assertStatus(404, b.api.get("api/v1/assignments/" + id));
    ApiClient.Answer own = a.api.get("api/v1/assignments/" + id);
    assertStatus(200, own);
    assertEquals("ISSUED", own.json().get("state").asText(), "still wanted");
    assertTrue(!own.json().hasNonNull("reason"), "a reason only once it ended");
    assertStatus(403, b.api.post("api/v1/devices/" + a.id + "/work", "{\"slots\":1,\"waitMs\":0}"));
    ApiClient bob = submitter("bob");
    assertStatus(404, bob.get("api/v1/blobs/" + modelHex));
    assertStatus(200, alice.get("api/v1/blobs/" + modelHex));
    assertStatus(200, a.submit(work, DIGITS));
  }

  @Test
  void aSubmitterSeesOnlyItsOwnJobsAndAnAdminSeesAll() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    ApiClient bob = submitter("bob");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    String id = inlineDigitsJob(alice, 2, 2, null).json().get("id").asText();
    assertStatus(404, bob.get("api/v1/jobs/" + id));
    assertStatus(404, bob.delete("api/v1/jobs/" + id));
    assertEquals(0, bob.get("api/v1/jobs").json().get("jobs").size());
    assertEquals(1, alice.get("api/v1/jobs").json().get("jobs").size());
    assertEquals(1, admin.get("api/v1/jobs").json().get("jobs").size());
    assertStatus(200, admin.get("api/v1/jobs/" + id));
  }

  @Test
  void revokedKeysStopWorkingAndTheLastAdminKeyCannotBeDeleted() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    assertStatus(200, alice.get("api/v1/jobs"));
    assertStatus(409, admin.post("api/v1/keys", "{\"role\":\"submitter\",\"name\":\"alice\"}"));
    assertStatus(200, admin.delete("api/v1/keys/alice"));
    assertStatus(401, alice.get("api/v1/jobs"));
    assertStatus(404, admin.delete("api/v1/keys/alice"));
    ApiClient.Answer last = admin.delete("api/v1/keys/admin");
    assertStatus(409, last);
    assertEquals("last-admin-key", last.error());
    assertStatus(422, admin.post("api/v1/keys", "{\"role\":\"root\",\"name\":\"x\"}"));
  }

  @Test
  void tokenEnrollmentNeedsASingleUseAdminToken() throws Exception {
    start(config().enrollment(CoordinatorConfig.Enrollment.TOKEN).build());
    String body = "{\"publicKey\":\"" + org.idlegrid.signing.Ed25519.generate().publicKey().base64() + "\"}";
    assertStatus(403, anonymous.post("api/v1/devices", body));
    String token = admin.post("api/v1/enrollment-tokens", "").json().get("token").asText();
    FakeDevice d = new FakeDevice(anonymous, "d", "o", token);
    assertNotNull(d.id);
    ApiClient.Answer reuse = anonymous.post("api/v1/devices", body.replace("}", ",\"enrollmentToken\":\"" + token + "\"}"));
    assertStatus(403, reuse);
    assertEquals("bad-enrollment-token", reuse.error());
    assertEquals(1, admin.get("api/v1/devices").json().get("devices").size());
  }

  @Test
  void aBannedDeviceIsRefusedAndReleasedAgainByAnAdmin() throws Exception {
    start();
    FakeDevice d = new FakeDevice(anonymous, "d", "o");
    ApiClient.Answer ban = admin.post("api/v1/devices/" + d.id + "/ban", "{\"reason\":\"wrong results\"}");
    assertStatus(200, ban);
    assertEquals("BANNED", ban.json().get("state").asText());
    assertEquals("wrong results", ban.json().get("reason").asText());
    ApiClient.Answer refused = d.api.post("api/v1/devices/" + d.id + "/work", "{}");
    assertStatus(403, refused);
    assertEquals("device-banned", refused.error());
    assertEquals("ACTIVE", admin.post("api/v1/devices/" + d.id + "/release", "").json().get("state").asText());
    assertStatus(204, d.api.post("api/v1/devices/" + d.id + "/work", "{\"slots\":1,\"waitMs\":0}"));
    assertStatus(404, admin.get("api/v1/devices/d-nope"));
  }

  @Test
  void enrollmentRefusesAPublicKeyThatIsNot32RawBytes() throws Exception {
    start();
    ApiClient.Answer a = anonymous.post("api/v1/devices", "{\"publicKey\":\"AAAA\"}");
    assertStatus(422, a);
    assertTrue(a.json().get("message").asText().contains("32"), a.toString());
    assertStatus(422, anonymous.post("api/v1/devices", "{\"publicKey\":\"not base64!\"}"));
    assertEquals(0, admin.get("api/v1/devices").json().get("devices").size());
  }
}
