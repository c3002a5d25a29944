package org.idlegrid.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.idlegrid.coordinator.testing.ApiClient;
import org.idlegrid.coordinator.testing.FakeDevice;
import org.idlegrid.coordinator.trust.TrustPolicy;
import org.idlegrid.json.Json;
import org.junit.jupiter.api.Test;

/**
 * Four devices over loopback HTTP; one earns trust honestly, then cheats. It gets wrong results
 * accepted on trust, a spot check catches it, everything it got accepted is re-verified, it is
 * quarantined, and the job completes with only correct results.
 */
class CheaterOverHttpTest extends HttpTestBase {

  /** What a lazy cheater returns: zeros instead of logits. */
  static final Function<JsonNode, JsonNode> ZEROS = record -> {
    ObjectNode out = Json.mapper().createObjectNode();
    var logits = out.putArray("logits");
    for (int i = 0; i < 10; i++) {
      logits.add(0.0);
    }
    return out;
  };

  private JsonNode device(FakeDevice d) {
    ApiClient.Answer a = admin.get("api/v1/devices/" + d.id);
    assertStatus(200, a);
    return a.json();
  }

  private int validUnits(ApiClient client, String jobId) {
    return job(client, jobId).get("units").get("valid").asInt();
  }

  @Test
  void aDeviceThatCheatsAfterEarningTrustIsCaughtReverifiedAndQuarantinedAndTheJobHasOnlyCorrectResults()
      throws Exception {
    // trusted after 3 verified results; every unit taken on trust is checked with probability 0.3
    TrustPolicy policy = new TrustPolicy(3, 1e9, 0.3, 0.5, 4, 0.5, 20, 0.8, true, 0.2);
    start(config().trust(policy).random(new SplittableRandom(3)).build());
    ApiClient alice = submitter("alice");
    String jobId = digitsJob(alice, 4, null); // 135 units of 4 records
    FakeDevice cheater = new FakeDevice(anonymous, "cheater", "mallory");
    List<FakeDevice> honest = List.of(new FakeDevice(anonymous, "h1", "ann"), new FakeDevice(anonymous, "h2", "ben"),
        new FakeDevice(anonymous, "h3", "cat"));
    List<FakeDevice> all = List.of(cheater, honest.get(0), honest.get(1), honest.get(2));

    boolean cheating = false;
    int acceptedOnTrustWhileCheating = 0;
    int wrongSent = 0;
    boolean progress = true;
    int burst = 0;
    while (progress) {
      progress = false;
      for (FakeDevice d : all) {
        if (d == cheater && !cheating && device(cheater).get("trust").get("trusted").asBoolean()) {
          cheating = true; // trust earned: from now on it cheats, and it grabs a few units in a row
          burst = 8;
        }
        int polls = d == cheater && burst > 0 ? burst : 1;
        burst = d == cheater ? 0 : burst;
        for (int poll = 0; poll < polls; poll++) {
          for (ObjectNode a : d.work(1, 0)) {
            progress = true;
            if (d != cheater) {
              assertStatus(200, d.submit(a, DIGITS));
              continue;
            }
            if (!cheating) {
              assertStatus(200, d.submit(a, DIGITS));
              continue;
            }
            int before = validUnits(alice, jobId);
            assertStatus(200, d.submit(a, ZEROS)); // a wrong result is received like any other
            wrongSent++;
            if (validUnits(alice, jobId) > before) {
              acceptedOnTrustWhileCheating++;
              JsonNode trust = device(cheater).get("trust");
              assertTrue(trust.get("risk").asDouble() >= 1, "a result on trust adds 1: " + trust);
            }
          }
        }
      }
    }

    assertTrue(cheating, "the cheater earned trust first");
    assertTrue(acceptedOnTrustWhileCheating > 0, "some wrong results were accepted on trust for a while");
    JsonNode status = job(alice, jobId);
    assertEquals("COMPLETED", status.get("state").asText());
    assertFalse(status.get("verifying").asBoolean(), "its closing audits are done");
    assertEquals(540, status.get("records").get("done").asLong());
    double factor = status.get("replicationFactor").asDouble();
    assertTrue(factor >= 1.0 && factor < 2.5, "replication used: " + factor);

    ApiClient.Answer results = alice.get("api/v1/jobs/" + jobId + "/results");
    assertStatus(200, results);
    String[] lines = results.text().split("\n");
    assertEquals(540, lines.length);
    for (int i = 0; i < lines.length; i++) {
      JsonNode line = Json.tree(lines[i]);
      assertEquals(i, line.get("id").asInt());
      assertEquals(EXPECTED.get(i), line.get("output").get("logits"), "record " + i + " is the correct output");
    }

    JsonNode c = device(cheater);
    assertEquals("QUARANTINED", c.get("state").asText(), c.toString());
    assertTrue(c.get("reason").asText().contains("invalid results"), c.toString());
    assertFalse(c.get("trust").get("trusted").asBoolean());
    assertFalse(c.get("trust").get("vouches").asBoolean(), "a quarantined device vouches for nothing");
    assertEquals(0, c.get("trust").get("streak").asInt());
    JsonNode onModel = c.get("trust").get("models").get(status.get("model").asText());
    assertEquals(0, onModel.get("streak").asInt(), "a failed check resets its trust on every model: " + c);
    assertFalse(onModel.get("trusted").asBoolean());
    assertEquals(0.0, c.get("trust").get("risk").asDouble(), "all its votes were withdrawn");
    assertTrue(c.get("trust").get("checksFailed").asInt() >= 1);
    assertTrue(c.get("results").get("invalid").asInt() >= 1);
    assertEquals(0, c.get("results").get("valid").asInt(), "every vote it held was withdrawn: " + c);
    assertEquals(0.0, c.get("credit").asDouble(), 1e-9, "its credit was reversed");
    assertTrue(wrongSent >= acceptedOnTrustWhileCheating);
    assertStatus(204, cheater.api.postJson("api/v1/devices/" + cheater.id + "/work",
        new org.idlegrid.protocol.WorkRequest(1, List.of(), 0)));
    for (FakeDevice h : honest) {
      JsonNode v = device(h);
      assertEquals("ACTIVE", v.get("state").asText());
      assertTrue(v.get("credit").asDouble() > 0);
      assertEquals(v.get("trust").get("streak").asInt() >= 1, v.get("trust").get("vouches").asBoolean(), v.toString());
      assertEquals(v.get("trust").get("streak").asInt(),
          v.get("trust").get("models").get(status.get("model").asText()).get("streak").asInt(),
          "one model: its streak on the model is its streak");
    }
    JsonNode list = admin.get("api/v1/devices").json().get("devices");
    assertEquals(4, list.size());
  }
}
