package org.idlegrid.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.idlegrid.coordinator.testing.ApiClient;
import org.idlegrid.coordinator.testing.FakeDevice;
import org.idlegrid.coordinator.trust.TrustPolicy;
import org.idlegrid.json.Json;
import org.junit.jupiter.api.Test;

/** Whole jobs driven over loopback HTTP by fake devices that return the known digits logits. */
class JobLifecycleTest extends HttpTestBase {

  /** Lets the devices take turns until no one gets work; returns how many results were accepted. */
  private int runDevices(List<FakeDevice> devices, int slots) {
    int accepted = 0;
    boolean progress = true;
    while (progress) {
      progress = false;
      for (FakeDevice d : devices) {
        for (ObjectNode a : d.work(slots, 0)) {
          assertStatus(200, d.submit(a, DIGITS));
          accepted++;
          progress = true;
        }
      }
    }
    return accepted;
  }

  private List<JsonNode> results(ApiClient client, String jobId, boolean partial) {
    ApiClient.Answer a = client.get("api/v1/jobs/" + jobId + "/results" + (partial ? "?partial=true" : ""));
    assertStatus(200, a);
    List<JsonNode> lines = new ArrayList<>();
    for (String line : a.text().split("\n")) {
      if (!line.isBlank()) {
        lines.add(Json.tree(line));
      }
    }
    return lines;
  }

  private static void assertDigitsResults(List<JsonNode> lines, int n) {
    assertEquals(n, lines.size());
    for (int i = 0; i < n; i++) {
      assertEquals(i, lines.get(i).get("id").asInt(), "input order");
      assertEquals(EXPECTED.get(i), lines.get(i).get("output").get("logits"));
    }
  }

  @Test
  void twoDevicesCompleteAJobAndTheResultsComeBackVerifiedInInputOrder() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    String jobId = digitsJob(alice, 50, null);
    assertStatus(409, alice.get("api/v1/jobs/" + jobId + "/results"));
    FakeDevice a = new FakeDevice(anonymous, "laptop", "ann");
    FakeDevice b = new FakeDevice(anonymous, "desktop", "ben");
    assertEquals(22, runDevices(List.of(a, b), 3), "11 units x 2 replicas");
    JsonNode status = job(alice, jobId);
    assertEquals("COMPLETED", status.get("state").asText());
    assertEquals(11, status.get("units").get("total").asInt());
    assertEquals(11, status.get("units").get("valid").asInt());
    assertEquals(0, status.get("units").get("inProgress").asInt());
    assertEquals(540, status.get("records").get("done").asLong());
    assertEquals(2.0, status.get("replicationFactor").asDouble());
    assertEquals(2, status.get("verification").get("replicas").asInt());
    assertEquals("allclose", status.get("verification").get("compare").get("mode").asText());
    assertDigitsResults(results(alice, jobId, false), 540);
    JsonNode device = admin.get("api/v1/devices/" + a.id).json();
    assertEquals(11, device.get("results").get("valid").asInt());
    // credit = records x the model's measured ms per record (the fake devices report 7 ms a unit)
    double credit = device.get("credit").asDouble();
    assertTrue(credit >= 540 * 7.0 / 50 * 0.99 && credit <= 540 * 7.0 / 40 * 1.01, "credit " + credit);
    assertEquals(credit, admin.get("api/v1/devices/" + b.id).json().get("credit").asDouble(), 1e-9,
        "both replicas of every unit are credited alike");
    assertEquals(0, device.get("results").get("timedOut").asInt());
    assertEquals(jobId, alice.get("api/v1/jobs").json().get("jobs").get(0).get("id").asText());
  }

  @Test
  void partialResultsStreamWhatIsDoneAndAJobCanBeCancelled() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    String jobId = inlineDigitsJob(alice, 10, 4, "{\"replicas\":1,\"quorum\":1}").json().get("id").asText();
    FakeDevice d = new FakeDevice(anonymous, "d", null);
    ObjectNode first = d.work(1, 0).get(0);
    assertStatus(200, d.submit(first, DIGITS));
    assertEquals("RUNNING", job(alice, jobId).get("state").asText());
    assertDigitsResults(results(alice, jobId, true), 4);
    ObjectNode second = d.work(1, 0).get(0);
    ApiClient.Answer cancel = alice.delete("api/v1/jobs/" + jobId);
    assertStatus(200, cancel);
    assertEquals("CANCELLED", cancel.json().get("state").asText());
    assertStatus(409, alice.delete("api/v1/jobs/" + jobId));
    ApiClient.Answer late = d.submit(second, DIGITS);
    assertStatus(409, late);
    assertEquals("aborted", late.error());
    assertTrue(d.work(4, 0).isEmpty(), "no work from a cancelled job");
  }

  @Test
  void aResultWithABadSignatureForAnotherAssignmentOrSentTwiceIsRefused() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    String jobId = inlineDigitsJob(alice, 4, 2, "{\"replicas\":1,\"quorum\":1}").json().get("id").asText();
    FakeDevice d = new FakeDevice(anonymous, "d", null);
    FakeDevice other = new FakeDevice(anonymous, "other", null);
    List<ObjectNode> work = d.work(2, 0);
    ObjectNode a = work.get(0);
    String path = "api/v1/assignments/" + a.get("assignmentId").asText() + "/result";

    ObjectNode signedByOther = other.resultBody(a, d.compute(a, DIGITS));
    ApiClient.Answer wrongKey = d.api.postJson(path, signedByOther);
    assertStatus(403, wrongKey);
    assertEquals("bad-signature", wrongKey.error());

    ObjectNode tampered = d.resultBody(a, d.compute(a, DIGITS));
    ((ObjectNode) tampered.get("outputs").get(0)).putArray("logits").add(1.0);
    assertStatus(403, d.api.postJson(path, tampered));

    ObjectNode forAnother = d.resultBody(work.get(1), d.compute(a, DIGITS));
    assertStatus(422, d.api.postJson(path, forAnother));

    ObjectNode tooFew = d.resultBody(a, d.compute(a, DIGITS).subList(0, 1));
    assertStatus(422, d.api.postJson(path, tooFew));

    assertStatus(400, d.api.post(path, "{\"assignmentId\":"));
    assertEquals(0, job(alice, jobId).get("units").get("valid").asInt(), "nothing stored");

    assertStatus(200, d.submit(a, DIGITS));
    ApiClient.Answer twice = d.submit(a, DIGITS);
    assertStatus(409, twice);
    assertEquals("already-returned", twice.error());
    assertEquals(1, admin.get("api/v1/devices/" + d.id).json().get("results").get("returned").asInt());
  }

  @Test
  void aTimedOutAssignmentIsReissuedToAnotherDevice() throws Exception {
    start(config().assignmentTimeout(Duration.ofMinutes(5)).build());
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    String jobId = inlineDigitsJob(alice, 3, 3, "{\"replicas\":1,\"quorum\":1}").json().get("id").asText();
    FakeDevice slow = new FakeDevice(anonymous, "slow", null);
    FakeDevice fast = new FakeDevice(anonymous, "fast", null);
    ObjectNode held = slow.work(1, 0).get(0);
    assertTrue(fast.work(1, 0).isEmpty());
    clock.advance(Duration.ofMinutes(4));
    assertEquals(0, coordinator.sweepDeadlines());
    clock.advance(Duration.ofMinutes(2));
    assertEquals(1, coordinator.sweepDeadlines());
    ObjectNode reissued = fast.work(1, 0).get(0);
    assertEquals(held.get("unitId"), reissued.get("unitId"));
    ApiClient.Answer late = slow.submit(held, DIGITS);
    assertStatus(409, late);
    assertEquals("timed-out", late.error());
    assertStatus(200, fast.submit(reissued, DIGITS));
    assertEquals("COMPLETED", job(alice, jobId).get("state").asText());
  }

  @Test
  void anAbortedAssignmentIsReissuedAtOnceToAWaitingDevice() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    inlineDigitsJob(alice, 3, 3, "{\"replicas\":1,\"quorum\":1}");
    FakeDevice leaving = new FakeDevice(anonymous, "leaving", null);
    FakeDevice waiting = new FakeDevice(anonymous, "waiting", null);
    ObjectNode held = leaving.work(1, 0).get(0);
    CompletableFuture<ApiClient.Answer> poll = waiting.api.sendAsync("POST",
        "api/v1/devices/" + waiting.id + "/work", "{\"slots\":1,\"waitMs\":20000}".getBytes());
    awaitWaiting(1);
    ApiClient.Answer aborted = leaving.abort(held, "user-active");
    assertStatus(200, aborted);
    assertEquals("ABORTED", aborted.json().get("state").asText());
    ApiClient.Answer got = poll.get(10, TimeUnit.SECONDS);
    assertStatus(200, got);
    assertEquals(held.get("unitId"), waiting.assignments(got).get(0).get("unitId"));
    assertStatus(409, leaving.abort(held, "user-active"));
  }

  @Test
  void aLongPollAnswersWhenAJobArrivesAnd204WhenNothingCame() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    FakeDevice d = new FakeDevice(anonymous, "d", null);
    ApiClient.Answer empty = d.api.post("api/v1/devices/" + d.id + "/work", "{\"slots\":1,\"waitMs\":200}");
    assertStatus(204, empty);
    CompletableFuture<ApiClient.Answer> poll = d.api.sendAsync("POST", "api/v1/devices/" + d.id + "/work",
        "{\"slots\":2,\"waitMs\":20000}".getBytes());
    awaitWaiting(1);
    assertFalse(poll.isDone());
    assertStatus(201, inlineDigitsJob(alice, 4, 2, null));
    ApiClient.Answer got = poll.get(10, TimeUnit.SECONDS);
    assertStatus(200, got);
    assertEquals(2, d.assignments(got).size());
    assertEquals(0, coordinator.waitingDevices());
  }

  @Test
  void aWakeOffersWorkToTheFastestWaitingDevicesFirstNotToThoseThatWaitedLongest() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    FakeDevice fast = new FakeDevice(anonymous, "fast", "fay");
    FakeDevice slow = new FakeDevice(anonymous, "slow", "sol");
    FakeDevice fresh = new FakeDevice(anonymous, "fresh", "fred");
    FakeDevice peer = new FakeDevice(anonymous, "peer", "pia");
    assertStatus(201, inlineDigitsJob(alice, 2, 1, "{\"replicas\":2,\"quorum\":2}"));
    ObjectNode x = fast.work(1, 0).get(0);
    ObjectNode y = peer.work(1, 0).get(0);
    clock.advance(Duration.ofSeconds(10));
    assertStatus(200, fast.submit(x, DIGITS));
    assertStatus(200, peer.submit(y, DIGITS)); // unit 0 decided: the model's turnaround is 10 s
    ObjectNode f = fast.work(1, 0).get(0);
    ObjectNode s = slow.work(1, 0).get(0);
    clock.advance(Duration.ofSeconds(5));
    assertStatus(200, fast.submit(f, DIGITS)); // 5 s: pace 0.5
    clock.advance(Duration.ofSeconds(35));
    assertStatus(200, slow.submit(s, DIGITS)); // 40 s: pace 4

    // the slow device waits first, then one never measured, then the fast one
    List<CompletableFuture<ApiClient.Answer>> polls = new ArrayList<>();
    int n = 0;
    for (FakeDevice d : List.of(slow, fresh, fast)) {
      polls.add(d.api.sendAsync("POST", "api/v1/devices/" + d.id + "/work", "{\"slots\":1,\"waitMs\":20000}".getBytes()));
      awaitWaiting(++n);
    }
    assertStatus(201, inlineDigitsJob(alice, 1, 1, "{\"replicas\":2,\"quorum\":2}")); // two replicas to hand out
    ApiClient.Answer toFast = polls.get(2).get(10, TimeUnit.SECONDS);
    ApiClient.Answer toFresh = polls.get(1).get(10, TimeUnit.SECONDS);
    assertStatus(200, toFast);
    assertStatus(200, toFresh);
    assertEquals(fast.assignments(toFast).get(0).get("unitId"), fresh.assignments(toFresh).get(0).get("unitId"));
    assertFalse(polls.get(0).isDone(), "the slow device waited longest, but both replicas went to faster ones");
    assertEquals(1, coordinator.waitingDevices());
  }

  @Test
  void aWakeGivesUpAfterWaitersThatCannotTakeTheWorkAndTriesOthersFirstNextTime() throws Exception {
    start();
    aliceWithDigitsJob(2, 1, "{\"replicas\":2,\"quorum\":2}");
    FakeDevice ann = new FakeDevice(anonymous, "ann-0", "ann");
    FakeDevice cy = new FakeDevice(anonymous, "cy", "cy");
    List<ObjectNode> annHolds = ann.work(2, 0);
    List<ObjectNode> cyHolds = cy.work(2, 0);
    assertEquals(2, annHolds.size());
    assertEquals(2, cyHolds.size(), "every replica is out");
    // more of ann's devices wait than one wake tries, then a device of another owner
    int unfit = 65;
    List<CompletableFuture<ApiClient.Answer>> annPolls = new ArrayList<>();
    for (int i = 1; i <= unfit; i++) {
      FakeDevice d = new FakeDevice(anonymous, "ann-" + i, "ann");
      annPolls.add(d.api.sendAsync("POST", "api/v1/devices/" + d.id + "/work",
          "{\"slots\":1,\"waitMs\":25000}".getBytes()));
      awaitWaiting(i);
    }
    FakeDevice ben = new FakeDevice(anonymous, "ben", "ben");
    CompletableFuture<ApiClient.Answer> benPoll = ben.api.sendAsync("POST", "api/v1/devices/" + ben.id + "/work",
        "{\"slots\":1,\"waitMs\":25000}".getBytes());
    awaitWaiting(unfit + 1);
    // a replica is needed again, but ann's devices may not take a unit ann holds: the wake tries
    // 64 of them and stops; the next wake tries the rest first, and ben gets work at once
    assertStatus(200, cy.abort(cyHolds.get(0), "user-active"));
    assertStatus(200, cy.abort(cyHolds.get(1), "user-active"));
    ApiClient.Answer got = benPoll.get(10, TimeUnit.SECONDS);
    assertStatus(200, got);
    assertEquals(1, ben.assignments(got).size());
    assertTrue(annPolls.stream().noneMatch(CompletableFuture::isDone), "none of ann's devices got ann's unit");
  }

  @Test
  void aDeviceHeldBackUntilAVerdictGetsWorkAsSoonAsOneOfItsResultsIsJudged() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    // twelve devices, none with a verified result: the quorum-of-strangers rule and its throttle apply
    List<FakeDevice> fleet = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      fleet.add(new FakeDevice(anonymous, "d" + i, "owner-" + i));
    }
    assertStatus(201, inlineDigitsJob(alice, 4, 1, "{\"replicas\":3,\"quorum\":2}"));
    FakeDevice s = fleet.get(0);
    List<ObjectNode> held = s.work(3, 0);
    assertEquals(3, held.size());
    for (ObjectNode a : held) {
      assertStatus(200, s.submit(a, DIGITS));
    }
    assertTrue(s.work(1, 0).isEmpty(), "three results wait for verdicts: s is held back");
    CompletableFuture<ApiClient.Answer> poll = s.api.sendAsync("POST", "api/v1/devices/" + s.id + "/work",
        "{\"slots\":1,\"waitMs\":20000}".getBytes());
    awaitWaiting(1);
    List<ObjectNode> x = fleet.get(1).work(3, 0);
    List<ObjectNode> y = fleet.get(2).work(3, 0);
    assertEquals(held.stream().map(a -> a.get("unitId")).toList(), x.stream().map(a -> a.get("unitId")).toList());
    assertEquals(held.stream().map(a -> a.get("unitId")).toList(), y.stream().map(a -> a.get("unitId")).toList());
    for (ObjectNode a : x) {
      assertStatus(200, fleet.get(1).submit(a, DIGITS));
    }
    assertFalse(poll.isDone(), "two strangers agreeing are not a quorum: no verdict yet");
    assertStatus(200, fleet.get(2).submit(y.get(0), DIGITS)); // the third: s's first unit is VALID
    ApiClient.Answer got = poll.get(10, TimeUnit.SECONDS); // at its verdict, not after its 20 s
    assertStatus(200, got);
    List<ObjectNode> next = s.assignments(got);
    assertEquals(1, next.size());
    assertFalse(held.stream().anyMatch(a -> a.get("unitId").equals(next.get(0).get("unitId"))));
  }

  @Test
  void aUnitWhoseDeviceStoppedAskingAboutItGoesToAnotherDeviceLongBeforeItsDeadline() throws Exception {
    start();
    aliceWithDigitsJob(1, 1, "{\"replicas\":2,\"quorum\":2}");
    FakeDevice a = new FakeDevice(anonymous, "a", "ann");
    FakeDevice b = new FakeDevice(anonymous, "b", "ben");
    FakeDevice c = new FakeDevice(anonymous, "c", "cat");
    ObjectNode x = a.work(1, 0).get(0);
    ObjectNode y = b.work(1, 0).get(0);
    String id = x.get("assignmentId").asText();
    ApiClient.Answer asked = a.api.get("api/v1/assignments/" + id); // a computes, and asks as a client does
    assertStatus(200, asked);
    assertEquals("ISSUED", asked.json().get("state").asText());
    assertStatus(200, b.submit(y, DIGITS));
    clock.advance(Duration.ofSeconds(90));
    coordinator.sweepDeadlines();
    assertTrue(c.work(1, 0).isEmpty(), "a asked 90 s ago: it is still computing");

    clock.advance(Duration.ofSeconds(31)); // quiet for longer than silentAfter (2 min)
    coordinator.sweepDeadlines();
    List<ObjectNode> got = c.work(1, 0);
    assertEquals(1, got.size(), "a went quiet: its unit has another slot, 8 minutes before a's deadline");
    assertEquals(x.get("unitId"), got.get(0).get("unitId"));
    assertStatus(200, c.submit(got.get(0), DIGITS));
    ApiClient.Answer still = a.api.get("api/v1/assignments/" + id);
    assertEquals("ISSUED", still.json().get("state").asText(), "a's replica stays out: it counts if a comes back");
    assertStatus(200, a.submit(x, DIGITS));
  }

  @Test
  void aWaitingDeviceGetsAClosingAuditAsSoonAsAJobStartsWaitingForOne() throws Exception {
    // trusted after 2 verified results, spot checks never drawn, risk budget 0.5
    TrustPolicy policy = new TrustPolicy(2, 1e9, 1e-9, 0, 4, 0.5, 20, 0.8, false, 0, true, 2.0, 0.5);
    start(config().trust(policy).build());
    ApiClient alice = submitter("alice");
    uploadModel(alice, "digits-mlp.onnx", "digits-mlp");
    String jobId = inlineDigitsJob(alice, 3, 1, null).json().get("id").asText();
    FakeDevice a = new FakeDevice(anonymous, "a", "ann");
    FakeDevice b = new FakeDevice(anonymous, "b", "ben");
    FakeDevice c = new FakeDevice(anonymous, "c", "cat");
    for (int i = 0; i < 2; i++) { // a and b earn trust together
      ObjectNode x = a.work(1, 0).get(0);
      ObjectNode y = b.work(1, 0).get(0);
      assertEquals(x.get("unitId"), y.get("unitId"));
      assertStatus(200, a.submit(x, DIGITS));
      assertStatus(200, b.submit(y, DIGITS));
    }
    ObjectNode alone = a.work(1, 0).get(0); // the last unit, to a trusted device alone
    CompletableFuture<ApiClient.Answer> poll = c.api.sendAsync("POST", "api/v1/devices/" + c.id + "/work",
        "{\"slots\":1,\"waitMs\":20000}".getBytes());
    awaitWaiting(1); // nothing to do yet: the unit is out, and nothing rests on trust
    assertStatus(200, a.submit(alone, DIGITS));
    JsonNode status = job(alice, jobId);
    assertEquals("RUNNING", status.get("state").asText(), "every unit is valid, but a's result rests on trust");
    assertTrue(status.get("verifying").asBoolean());
    ApiClient.Answer got = poll.get(10, TimeUnit.SECONDS); // not after its 20 s
    assertStatus(200, got);
    ObjectNode audit = c.assignments(got).get(0);
    assertEquals(alone.get("unitId"), audit.get("unitId"), "the waiting device audits a's result");
    assertStatus(200, c.submit(audit, DIGITS));
    status = job(alice, jobId);
    assertEquals("COMPLETED", status.get("state").asText());
    assertFalse(status.get("verifying").asBoolean());
  }

  @Test
  void aCoordinatorRestartedMidJobFinishesItWithEveryRecordOnce() throws Exception {
    start();
    ApiClient alice = submitter("alice");
    String jobId = digitsJob(alice, 50, null);
    FakeDevice a = new FakeDevice(anonymous, "a", "ann");
    FakeDevice b = new FakeDevice(anonymous, "b", "ben");
    for (int i = 0; i < 3; i++) {
      for (ObjectNode w : a.work(2, 0)) {
        assertStatus(200, a.submit(w, DIGITS));
      }
      for (ObjectNode w : b.work(2, 0)) {
        assertStatus(200, b.submit(w, DIGITS));
      }
    }
    List<ObjectNode> heldAcrossRestart = a.work(1, 0);
    assertEquals(1, heldAcrossRestart.size());
    int validBefore = job(alice, jobId).get("units").get("valid").asInt();
    assertTrue(validBefore > 0 && validBefore < 11, "mid-job: " + validBefore);

    coordinator.close();
    start();
    a.reconnect(coordinator.baseUri());
    b.reconnect(coordinator.baseUri());
    ApiClient alice3 = alice.at(coordinator.baseUri());
    assertEquals(validBefore, job(alice3, jobId).get("units").get("valid").asInt(), "nothing lost");
    assertStatus(200, a.submit(heldAcrossRestart.get(0), DIGITS));
    runDevices(List.of(a, b), 2);
    JsonNode status = job(alice3, jobId);
    assertEquals("COMPLETED", status.get("state").asText());
    assertEquals(540, status.get("records").get("done").asLong());
    assertEquals(2.0, status.get("replicationFactor").asDouble(), "nothing counted twice");
    assertDigitsResults(results(alice3, jobId, false), 540);
    List<Double> credits = new ArrayList<>();
    for (JsonNode dev : admin.get("api/v1/devices").json().get("devices")) {
      credits.add(dev.get("credit").asDouble());
    }
    assertEquals(2, credits.size());
    assertEquals(credits.get(0), credits.get(1), 1e-9, "each unit credited once per replica");
    assertTrue(credits.get(0) <= 540 * 7.0 / 40 * 1.01, "nothing credited twice: " + credits);
  }

  // --- helpers

  private void awaitWaiting(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (coordinator.waitingDevices() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no device started waiting");
      }
      Thread.sleep(5);
    }
  }
}
