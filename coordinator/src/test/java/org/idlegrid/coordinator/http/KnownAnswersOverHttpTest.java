package org.idlegrid.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import org.idlegrid.coordinator.testing.ApiClient;
import org.idlegrid.coordinator.testing.FakeDevice;
import org.idlegrid.coordinator.testing.Models;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.WorkRequest;
import org.junit.jupiter.api.Test;

/**
 * Known answers supplied with a job ({@code "knownAnswers": [{"record", "output"}]}): checked like
 * records, stored apart from the job's units, and used to vet untrusted devices with checks that
 * look like any other assignment.
 */
class KnownAnswersOverHttpTest extends HttpTestBase {

  private static ObjectNode knownAnswer(JsonNode row) {
    ObjectNode k = Json.mapper().createObjectNode();
    k.set("record", row);
    k.set("output", DIGITS.apply(row));
    return k;
  }

  /** Known answers for digits rows [from, to), with their true outputs. */
  private static ArrayNode knownAnswers(int from, int to) throws Exception {
    ArrayNode out = Json.mapper().createArrayNode();
    for (JsonNode row : Models.jsonl("digits-test.jsonl").subList(from, to)) {
      out.add(knownAnswer(row));
    }
    return out;
  }

  private ApiClient.Answer job(ApiClient c, int records, JsonNode knownAnswers) throws Exception {
    List<JsonNode> rows = Models.jsonl("digits-test.jsonl").subList(0, records);
    return c.post("api/v1/jobs", "{\"model\":\"digits-mlp\",\"records\":" + Json.write(rows)
        + ",\"unitSize\":4,\"knownAnswers\":" + Json.write(knownAnswers) + "}");
  }

  private void assertRefused(ApiClient.Answer a, String mentions) {
    assertStatus(422, a);
    assertEquals("invalid-known-answers", a.json().get("error").asText(), a.toString());
    assertTrue(a.json().get("message").asText().contains(mentions), a.toString());
  }

  private JsonNode device(FakeDevice d) {
    ApiClient.Answer a = admin.get("api/v1/devices/" + d.id);
    assertStatus(200, a);
    return a.json();
  }

  @Test
  void badKnownAnswersAre422NamingTheIndexAndNothingIsStored() throws Exception {
    start(config().maxJsonBytes(8 << 20).build()); // room for more known answers than allowed
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    ArrayNode shortPixels = knownAnswers(500, 503);
    ((ArrayNode) shortPixels.get(1).get("record").get("pixels")).remove(0);
    assertRefused(job(alice, 8, shortPixels), "knownAnswers[1].record");
    ArrayNode numberOutput = knownAnswers(500, 502);
    ((ObjectNode) numberOutput.get(0)).put("output", 7);
    assertRefused(job(alice, 8, numberOutput), "knownAnswers[0].output");
    ArrayNode noRecord = knownAnswers(500, 502);
    ((ObjectNode) noRecord.get(1)).remove("record");
    assertRefused(job(alice, 8, noRecord), "knownAnswers[1].record");
    ArrayNode notObject = knownAnswers(500, 501);
    notObject.add(3);
    assertRefused(job(alice, 8, notObject), "knownAnswers[1]");
    assertRefused(job(alice, 8, Json.mapper().createObjectNode()), "must be an array");
    ArrayNode tooMany = Json.mapper().createArrayNode();
    JsonNode one = knownAnswers(500, 501).get(0);
    for (int i = 0; i <= SubmitterApi.MAX_KNOWN_ANSWERS; i++) {
      tooMany.add(one);
    }
    assertRefused(job(alice, 8, tooMany), "at most 1000");

    assertEquals(0, alice.get("api/v1/jobs").json().get("jobs").size(), "no job stored");
    FakeDevice d = new FakeDevice(anonymous, "d", "dora");
    assertStatus(204, d.api.postJson("api/v1/devices/" + d.id + "/work", new WorkRequest(1, List.of(), 0)));
  }

  @Test
  void aCheatingNewDeviceGetsAKnownAnswerCheckIsCaughtAndQuarantinedWhileTheJobCompletesCorrectly()
      throws Exception {
    start();
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    ApiClient.Answer created = job(alice, 40, knownAnswers(500, 520)); // 10 units of 4, 20 known answers
    assertStatus(201, created);
    String jobId = created.json().get("id").asText();
    assertEquals(10, job(alice, jobId).get("units").get("total").asInt(), "known answers are not units of the job");

    FakeDevice cheater = new FakeDevice(anonymous, "cheater", "mallory");
    // its first assignment is a check on a supplied known answer, shaped like any other
    List<ObjectNode> first = cheater.work(1, 0);
    assertEquals(1, first.size());
    ObjectNode check = first.get(0);
    assertEquals(jobId, check.get("jobId").asText());
    assertTrue(check.get("unitId").asText().matches(java.util.regex.Pattern.quote(jobId) + "-u\\d+"), check.toString());
    assertEquals(1, check.get("records").size());
    assertTrue(check.get("records").get(0).get("id").asInt() >= 500, "a known-answer record: " + check);
    assertStatus(200, cheater.submit(check, CheaterOverHttpTest.ZEROS)); // received like any result

    JsonNode c = device(cheater);
    assertEquals(1, c.get("results").get("invalid").asInt(), c.toString());
    assertEquals(1, c.get("trust").get("checksFailed").asInt(), c.toString());
    assertEquals(0, job(alice, jobId).get("units").get("valid").asInt());

    // until it passes one, every poll brings another check; failing them gets it quarantined
    for (int i = 0; i < 10 && "ACTIVE".equals(device(cheater).get("state").asText()); i++) {
      for (ObjectNode a : cheater.work(1, 0)) {
        assertTrue(a.get("records").get(0).get("id").asInt() >= 500, "another check: " + a);
        assertStatus(200, cheater.submit(a, CheaterOverHttpTest.ZEROS));
      }
    }
    c = device(cheater);
    assertEquals("QUARANTINED", c.get("state").asText(), c.toString());
    assertEquals(0, c.get("results").get("valid").asInt());
    assertEquals(0.0, c.get("credit").asDouble(), 1e-9);

    // honest devices pass their check once, then do the job
    List<FakeDevice> honest = List.of(new FakeDevice(anonymous, "h1", "ann"), new FakeDevice(anonymous, "h2", "ben"),
        new FakeDevice(anonymous, "h3", "cat"));
    int checks = 0;
    boolean progress = true;
    while (progress) {
      progress = false;
      for (FakeDevice d : honest) {
        for (ObjectNode a : d.work(2, 0)) {
          progress = true;
          checks += a.get("records").get(0).get("id").asInt() >= 500 ? 1 : 0;
          assertStatus(200, d.submit(a, DIGITS));
        }
      }
    }
    assertEquals(3, checks, "one vetting check per honest device");
    for (FakeDevice d : honest) {
      JsonNode h = device(d);
      assertEquals("ACTIVE", h.get("state").asText());
      assertEquals(0, h.get("results").get("invalid").asInt());
      assertTrue(h.get("trust").get("streak").asInt() >= 1, h.toString());
    }
    JsonNode status = job(alice, jobId);
    assertEquals("COMPLETED", status.get("state").asText(), status.toString());
    assertEquals(40, status.get("records").get("done").asLong());
    assertEquals(2.0, status.get("replicationFactor").asDouble(), 1e-9, "checks are counted in no job");
    String[] lines = alice.get("api/v1/jobs/" + jobId + "/results").text().split("\n");
    assertEquals(40, lines.length);
    for (int i = 0; i < lines.length; i++) {
      JsonNode line = Json.tree(lines[i]);
      assertEquals(i, line.get("id").asInt());
      assertEquals(EXPECTED.get(i), line.get("output").get("logits"));
    }
    assertFalse(status.toString().contains("knownAnswers"));
  }

  @Test
  void anUnvettedDeviceWithRoomForMoreGetsItsCheckAloneSoDroppingTheCheckWinsNoVotes() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    String jobId = job(alice, 16, knownAnswers(500, 510)).json().get("id").asText();
    FakeDevice d = new FakeDevice(anonymous, "greedy", "gil");
    List<ObjectNode> first = d.work(8, 0);
    assertEquals(1, first.size(), "the check alone, though it asked for 8: " + first);
    assertTrue(first.get(0).get("records").get(0).get("id").asInt() >= 500, "a vetting check: " + first);
    assertTrue(d.work(8, 0).isEmpty(), "nothing while the check is out");
    assertStatus(200, d.submit(first.get(0), DIGITS));
    List<ObjectNode> work = d.work(8, 0);
    assertTrue(work.size() > 1, "vetted: as much work as it has room for " + work);
    for (ObjectNode a : work) {
      assertTrue(a.get("records").get(0).get("id").asInt() < 500, "the job's work: " + a);
      assertEquals(jobId, a.get("jobId").asText());
    }
  }

  @Test
  void aDeviceThatLostItsVettingCheckGetsNoWorkUntilTheCheckTimesOutAndThenAnotherCheck() throws Exception {
    start(config().assignmentTimeout(Duration.ofMinutes(5)).build());
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    String jobId = job(alice, 8, knownAnswers(500, 510)).json().get("id").asText();
    FakeDevice d = new FakeDevice(anonymous, "forgetful", "fay");
    ObjectNode lost = d.work(1, 0).get(0);
    assertTrue(lost.get("records").get(0).get("id").asInt() >= 500, "a vetting check first: " + lost);
    // it polls again without returning the check (it restarted, it lost it): nothing, not even
    // with room for more, so that it never votes on the job's units unvetted
    assertTrue(d.work(1, 0).isEmpty());
    assertTrue(d.work(4, 0).isEmpty());
    clock.advance(Duration.ofMinutes(6));
    assertEquals(1, coordinator.sweepDeadlines());
    ObjectNode again = d.work(1, 0).get(0);
    assertTrue(again.get("records").get(0).get("id").asInt() >= 500, "another check: " + again);
    assertFalse(again.get("unitId").equals(lost.get("unitId")), "not the check it was sent before");
    assertStatus(200, d.submit(again, DIGITS));
    List<ObjectNode> work = d.work(1, 0);
    assertEquals(1, work.size());
    assertTrue(work.get(0).get("records").get(0).get("id").asInt() < 500, "vetted: the job's work " + work);
    assertEquals(jobId, work.get(0).get("jobId").asText());
  }
}
